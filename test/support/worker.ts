/**
 * Builds the Worker exactly as it is deployed (esbuild bundle of src/index.ts) and starts it in
 * workerd through the Miniflare class, with wrangler.toml's bindings and compatibility settings
 * and the D1 migrations applied. Shared by the end-to-end harness and the benchmark so that both
 * measure the same build in the same runtime mode. Paths are relative to the repository root
 * (the working directory of vitest and `npm run bench`).
 */
import { Log, LogLevel, Miniflare } from "miniflare";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { bundleWorkerEntry } from "../../scripts/local-worker.mjs";
import { ensurePortalBuilt } from "../../scripts/build-portal.mjs";

const bundleDirs = new Map<string, string>();

/** Bundles `entry` (the Worker, src/index.ts, by default) once per process; returns the directory holding index.js. */
export async function bundleWorker(entry = "src/index.ts"): Promise<string> {
  const cached = bundleDirs.get(entry);
  if (cached) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-worker-"));
  await bundleWorkerEntry(entry, outdir);
  bundleDirs.set(entry, outdir);
  return outdir;
}

export async function applyMigrations(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database("DB");
  const statements = fs
    .readdirSync("migrations")
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) => unstable_splitSqlQuery(fs.readFileSync(path.join("migrations", f), "utf8")));
  // One round trip: many small proxied calls are slow and flaky on a loaded machine.
  await db.batch(statements.map((q) => db.prepare(q)));
}

export type StartOptions = {
  /** vars and secrets, layered over wrangler.toml's [vars] */
  bindings?: Record<string, string>;
  /** keep D1/R2 state on disk under this directory; omitted = throwaway in-memory storage */
  persistRoot?: string;
  /** Worker entry to bundle instead of src/index.ts (e.g. a wrapper that records R2 calls) */
  entry?: string;
  /** false = leave D1 empty, as a deployment whose migrations were never applied (default true) */
  migrate?: boolean;
  /** false = without wrangler.toml's zone replica buckets (R2_<ZONE>_REPLICA), so no blob is copied (default true) */
  replicas?: boolean;
};

/** Starts the bundled Worker with migrations applied (unless `migrate: false`); `url` has no trailing slash. */
export async function startSosWorker(opts: StartOptions = {}): Promise<{ mf: Miniflare; url: string }> {
  const outdir = await bundleWorker(opts.entry);
  await ensurePortalBuilt(); // wrangler.toml's [assets] directory must exist for wrangler to read it
  // Without the portal's assets: these Workers answer S3 only, with no asset router in front.
  const { assets: _portal, ...workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions as Record<string, unknown>;
  if (opts.replicas === false) {
    const buckets = workerOptions.r2Buckets as Record<string, unknown>;
    workerOptions.r2Buckets = Object.fromEntries(Object.entries(buckets).filter(([binding]) => !binding.endsWith("_REPLICA")));
  }
  const mf = new Miniflare({
    ...(workerOptions as object),
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    // required when the script lives outside the working directory
    modulesRoot: outdir,
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    ...(opts.persistRoot ? { defaultPersistRoot: opts.persistRoot } : {}),
    bindings: {
      ...((workerOptions as { bindings?: Record<string, unknown> }).bindings ?? {}),
      ...opts.bindings,
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  if (opts.migrate !== false) await applyMigrations(mf);
  return { mf, url };
}
