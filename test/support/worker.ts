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

/** Host name that routes a request (mf.dispatchFetch) to STORAGE_LISTER instead of sos-worker. */
export const STORAGE_LISTER_HOST = "storage-lister.test";

/**
 * A second Worker in the same Miniflare instance with the same R2 bindings (so the same buckets),
 * answering GET /<binding> with every key stored there, as JSON. Tests read R2 through it: through
 * Miniflare's binding proxy every key read is a synchronous call (a worker thread woken by Atomics)
 * that once in a few thousand calls finds no reply and leaves the proxy broken for the whole file.
 */
const STORAGE_LISTER = `export default {
  async fetch(request, env) {
    const r2 = env[decodeURIComponent(new URL(request.url).pathname.slice(1))];
    if (!r2) return new Response("no such binding", { status: 404 });
    const keys = [];
    let cursor;
    do {
      const page = await r2.list({ cursor });
      for (const o of page.objects) keys.push(o.key);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return Response.json(keys, { headers: { "x-storage-lister": "1" } });
  },
};`;

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
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    ...(opts.persistRoot ? { defaultPersistRoot: opts.persistRoot } : {}),
    workers: [
      {
        ...(workerOptions as object),
        modules: true,
        scriptPath: path.join(outdir, "index.js"),
        // required when the script lives outside the working directory
        modulesRoot: outdir,
        bindings: {
          ...((workerOptions as { bindings?: Record<string, unknown> }).bindings ?? {}),
          ...opts.bindings,
        },
      },
      {
        name: "storage-lister",
        modules: true,
        script: STORAGE_LISTER,
        compatibilityDate: (workerOptions as { compatibilityDate?: string }).compatibilityDate,
        r2Buckets: workerOptions.r2Buckets as Record<string, string>,
        routes: [`${STORAGE_LISTER_HOST}/*`],
      },
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  if (opts.migrate !== false) await applyMigrations(mf);
  return { mf, url };
}
