/**
 * Issue #16, the cost of inline objects in D1: how many bytes of the D1 database (whose size is
 * limited: 10 GB per database) one object takes, by object size, for objects PUT through
 * sos-worker with inlining on (and, for reference, a blob-backed object's row). The database size
 * is D1's own figure (`meta.size_after` of a statement), read before and after `growthObjects` PUTs.
 */
import http from "node:http";
import type { BenchConfig } from "./config";
import { patternBuffer } from "./payload";
import { fixed, type Table } from "./report";
import type { Target } from "./targets";
import type { BenchWorker } from "./workers";

const D1_LIMIT_BYTES = 10e9;
export const GROWTH_SIZES = [1, 1024, 2048, 3072, 4096, 8192, 16384, 65536];

async function databaseBytes(w: BenchWorker): Promise<number> {
  const db = await w.mf.getD1Database("DB");
  return (await db.prepare("SELECT 1").run()).meta.size_after;
}

/** D1 bytes per object after `n` PUTs of `size` bytes to `t` (fresh keys). */
async function growth(t: Target, w: BenchWorker, size: number, n: number, concurrency: number): Promise<number> {
  const body = patternBuffer(size);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const before = await databaseBytes(w);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < n; i = next++) await t.put(`growth/${size}/${String(i).padStart(6, "0")}`, body, size, agent);
      }),
    );
  } finally {
    agent.destroy();
  }
  return ((await databaseBytes(w)) - before) / n;
}

export async function inlineStorageSuite(
  cfg: BenchConfig,
  inline: { t: Target; w: BenchWorker },
  blob: { t: Target; w: BenchWorker },
  log: (s: string) => void,
): Promise<Table> {
  const n = cfg.growthObjects;
  const rows: string[][] = [];
  const blobRow = await growth(blob.t, blob.w, 1, n, cfg.concurrency);
  rows.push(["1 B, R2 blob (row only)", fixed(blobRow, 0), "–", (D1_LIMIT_BYTES / blobRow / 1e6).toFixed(1)]);
  log(`  blob-backed row: ${fixed(blobRow, 0)} B of D1 per object`);
  for (const size of GROWTH_SIZES) {
    const per = await growth(inline.t, inline.w, size, n, cfg.concurrency);
    rows.push([`${size.toLocaleString("en-US")} B, inline`, fixed(per, 0), `${((size / per) * 100).toFixed(0)} %`, (D1_LIMIT_BYTES / per / 1e6).toFixed(2)]);
    log(`  inline ${size} B: ${fixed(per, 0)} B of D1 per object`);
  }
  return {
    title: "Inline objects: D1 bytes per object, by object size",
    note:
      `${n} PUTs per size through sos-worker (SOS_INLINE_MAX_BYTES = 1 MiB for the inline rows, 0 for the blob-backed one), keys of 19-23 bytes, no user metadata; ` +
      "D1 bytes = growth of the database size D1 reports (meta.size_after) / objects. Efficiency = object bytes / D1 bytes. " +
      "Objects per 10 GB = how many such objects one D1 database holds before its 10 GB limit, in millions.",
    header: ["object", "D1 bytes per object", "efficiency", "objects per 10 GB (millions)"],
    rows,
  };
}
