/**
 * Starts the two Workers under comparison in the same runtime mode: the Miniflare class directly
 * (no wrangler dev proxy or inspector: they add latency of their own), log level WARN, wrangler.toml's
 * compatibility date and flags, D1/R2 state persisted under a temp directory. Each gets its own
 * workerd process, whose pid is kept so that its memory can be read from /proc.
 */
import { Log, LogLevel, Miniflare } from "miniflare";
import fs from "node:fs";
import path from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ensurePortalBuilt } from "../scripts/build-portal.mjs";
import { startSosWorker } from "../test/support/worker";

export const CREDS = { accessKeyId: "SOSBENCHROOTKEY000000001", secretAccessKey: "bench-root-secret-0123456789abcdefghijklm" };

export type BenchWorker = { name: string; url: string; mf: Miniflare; pid: number; dispose: () => Promise<void> };

/** Pids of the workerd processes this Node process has spawned. */
function workerdChildren(): Set<number> {
  const pids = new Set<number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm === "workerd") pids.add(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

async function withPid(name: string, start: () => Promise<{ mf: Miniflare; url: string }>): Promise<BenchWorker> {
  const before = workerdChildren();
  const { mf, url } = await start();
  const fresh = [...workerdChildren()].filter((p) => !before.has(p));
  if (fresh.length !== 1) throw new Error(`${name}: expected one new workerd process, found ${fresh.length}`);
  return { name, url, mf, pid: fresh[0], dispose: () => mf.dispose() };
}

/** `vars` are layered over the bench's bindings (e.g. SOS_INLINE_MAX_BYTES). */
export function startSos(persistRoot: string, vars: Record<string, string> = {}, replicas = true): Promise<BenchWorker> {
  return withPid("sos-worker", () =>
    startSosWorker({
      replicas,
      persistRoot: path.join(persistRoot, "sos"),
      bindings: {
        SOS_ROOT_ACCESS_KEY: CREDS.accessKeyId,
        SOS_ROOT_SECRET_KEY: CREDS.secretAccessKey,
        SOS_ADMIN_TOKEN: "bench-admin-token-0123456789",
        SOS_MASTER_KEY: "bench-master-key-0123456789",
        ...vars,
      },
    }),
  );
}

export async function startBaseline(persistRoot: string): Promise<BenchWorker> {
  await ensurePortalBuilt(); // wrangler.toml's [assets] directory must exist for wrangler to read it
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  const { compatibilityDate, compatibilityFlags } = workerOptions as { compatibilityDate?: string; compatibilityFlags?: string[] };
  return withPid("raw R2", async () => {
    const mf = new Miniflare({
      modules: true,
      scriptPath: path.resolve("bench/baseline-worker.js"),
      compatibilityDate,
      compatibilityFlags,
      r2Buckets: { R2: "bench-baseline" },
      d1Databases: { DB: "bench-baseline-d1" },
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      defaultPersistRoot: path.join(persistRoot, "r2"),
    });
    const url = (await mf.ready).toString().replace(/\/$/, "");
    const db = await mf.getD1Database("DB");
    await db.exec("CREATE TABLE IF NOT EXISTS bench_objects (key TEXT PRIMARY KEY, size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL)");
    return { mf, url };
  });
}

/**
 * Resolves once every blob a row of `w` refers to has its zone replica copy recorded (the queue's
 * "replicate" jobs are done), polling D1 every 100 ms; throws after `timeoutMs`.
 */
export async function replicasSettled(w: BenchWorker, timeoutMs = 120_000): Promise<void> {
  const db = await w.mf.getD1Database("DB");
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const row = await db
      .prepare(
        `SELECT COUNT(*) AS n FROM objects o WHERE o.blob_key IS NOT NULL AND o.ssec_key_md5 IS NULL
           AND NOT EXISTS (SELECT 1 FROM blob_replicas r WHERE r.blob_key = o.blob_key)`,
      )
      .first<{ n: number }>();
    if (!row?.n) return;
    if (performance.now() > deadline) throw new Error(`${w.name}: ${row.n} blobs still without their replica copy after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
