// The Worker of `npm start`, run in workerd through Miniflare's API: the esbuild bundle of
// src/index.ts (as the end-to-end tests build it) with wrangler.toml's bindings, vars and
// compatibility settings, and no `wrangler dev` proxy Worker or inspector in the way.
//
// State: D1 and R2 live in <state dir>/v3/{d1,r2}, exactly where `wrangler dev --persist-to <state dir>`
// and `wrangler d1 migrations apply --local --persist-to <state dir>` keep them (wrangler appends "v3"
// and names the D1 file after database_id), so the three share one state directory.
//
// The web portal: wrangler.toml's [assets] (portal/dist, rebuilt here when stale) come with the
// worker options, so Miniflare serves /_portal/ with the same _headers as Cloudflare does.
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig, unstable_splitSqlQuery } from "wrangler";
import { ensurePortalBuilt } from "./build-portal.mjs";

/** start.mjs log levels (wrangler's names) to Miniflare's. */
const MINIFLARE_LEVELS = { debug: LogLevel.DEBUG, info: LogLevel.INFO, log: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, none: LogLevel.NONE };

/**
 * Bundles a Worker entry (src/index.ts unless told otherwise) into outdir/index.js, as wrangler would
 * for workerd. The end-to-end tests and the benchmark build through this too (test/support/worker.ts).
 */
export async function bundleWorkerEntry(entryPath, outdir) {
  await build({
    entryPoints: [entryPath],
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
 * Applies the D1 migrations not applied yet, keeping wrangler's own bookkeeping (the table and rows
 * `wrangler d1 migrations apply` writes and reads), so that wrangler's commands agree on what is
 * applied. Each migration and its bookkeeping row go in one batch, which D1 runs atomically.
 * Returns the names applied.
 */
export async function applyD1Migrations(mf, root) {
  const applied = [];
  for (const d1 of unstable_readConfig({ config: path.join(root, "wrangler.toml") }).d1_databases) {
    const table = d1.migrations_table || "d1_migrations";
    const dir = path.resolve(root, d1.migrations_dir || "migrations");
    if (!fs.existsSync(dir)) continue;
    const db = await mf.getD1Database(d1.binding);
    // The same schema as wrangler's initMigrationsTable.
    await db
      .prepare(
        `CREATE TABLE IF NOT EXISTS ${table}(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`,
      )
      .run();
    const done = new Set((await db.prepare(`SELECT name FROM ${table}`).all()).results.map((r) => r.name));
    for (const name of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".sql"))
      .sort()) {
      if (done.has(name)) continue;
      const statements = unstable_splitSqlQuery(fs.readFileSync(path.join(dir, name), "utf8")).map((q) => db.prepare(q));
      await db.batch([...statements, db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(name)]);
      applied.push(`${d1.binding}: ${name}`);
    }
  }
  return applied;
}

/**
 * Starts the Worker on host:port (port 0 = any free port; the front takes the public one).
 * `bindings` (secrets and local var overrides) are layered over wrangler.toml's [vars].
 * Applies the D1 migrations before it returns. Returns workerd's URL (no trailing slash), the
 * migrations applied, and a dispose().
 */
export async function startLocalWorker({ root, stateDir, bindings, logLevel = "warn", host = "127.0.0.1", port = 0 }) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-worker-start-"));
  const removeBundle = () => fs.rmSync(outdir, { recursive: true, force: true });
  try {
    await bundleWorkerEntry(path.join(root, "src/index.ts"), outdir);
  } catch (e) {
    removeBundle();
    throw e;
  }
  let workerOptions;
  try {
    await ensurePortalBuilt();
    ({ workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, "wrangler.toml")));
  } catch (e) {
    removeBundle();
    throw e;
  }
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
  let migrations;
  try {
    url = (await mf.ready).toString().replace(/\/$/, "");
    migrations = await applyD1Migrations(mf, root);
  } catch (e) {
    await mf.dispose().catch(() => {});
    removeBundle();
    throw e;
  }
  return {
    url,
    migrations,
    async dispose() {
      await mf.dispose();
      removeBundle();
    },
  };
}
