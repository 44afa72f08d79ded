// The Worker of `npm start`, run in workerd through Miniflare's API: the esbuild bundle of
// src/index.ts (as the end-to-end tests build it) with wrangler.toml's bindings, vars and
// compatibility settings, and no `wrangler dev` proxy Worker or inspector in the way.
//
// State: D1 and R2 live in <state dir>/v3/{d1,r2}, exactly where `wrangler dev --persist-to <state dir>`
// and `wrangler d1 migrations apply --local --persist-to <state dir>` keep them (wrangler appends "v3"
// and names the D1 file after database_id), so the three share one state directory.
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

/** start.mjs log levels (wrangler's names) to Miniflare's. */
const MINIFLARE_LEVELS = { debug: LogLevel.DEBUG, info: LogLevel.INFO, log: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, none: LogLevel.NONE };

/** Bundles the Worker into outdir/index.js. */
async function bundle(root, outdir) {
  await build({
    entryPoints: [path.join(root, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile: path.join(outdir, "index.js"),
    external: ["cloudflare:*", "node:*"],
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "error",
  });
}

/**
 * Starts the Worker on host:port (port 0 = any free port; the front takes the public one).
 * `bindings` (secrets and local var overrides) are layered over wrangler.toml's [vars].
 * Returns workerd's URL (no trailing slash) and a dispose().
 */
export async function startLocalWorker({ root, stateDir, bindings, logLevel = "warn", host = "127.0.0.1", port = 0 }) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-worker-start-"));
  const removeBundle = () => fs.rmSync(outdir, { recursive: true, force: true });
  try {
    await bundle(root, outdir);
  } catch (e) {
    removeBundle();
    throw e;
  }
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml"));
  const mf = new Miniflare({
    ...workerOptions,
    modules: true,
    scriptPath: path.join(outdir, "index.js"),
    modulesRoot: outdir, // required when the script is outside the working directory
    host,
    port,
    cf: false,
    unsafeTriggerHandlers: true, // /cdn-cgi/handler/scheduled runs the cron handler, as under wrangler dev
    log: new Log(MINIFLARE_LEVELS[logLevel] ?? LogLevel.WARN),
    defaultPersistRoot: path.join(stateDir, "v3"),
    bindings: { ...(workerOptions.bindings ?? {}), ...bindings },
  });
  let url;
  try {
    url = (await mf.ready).toString().replace(/\/$/, "");
  } catch (e) {
    await mf.dispose().catch(() => {});
    removeBundle();
    throw e;
  }
  return {
    url,
    async dispose() {
      await mf.dispose();
      removeBundle();
    },
  };
}
