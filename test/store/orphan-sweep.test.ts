/**
 * The orphan sweep resumes where its previous run stopped (orphan_sweep_positions), so that a zone
 * with more blobs than one run lists is still swept completely. Real local D1 and R2 (Miniflare).
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/env";
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from "../../src/jobs/cron";
import { BlobStore } from "../../src/store/blobs-r2";
import { MetaStore } from "../../src/store/d1";
import { applyMigrations } from "../support/worker";
import { newBucket, version } from "./store";

let mf: Miniflare;
let meta: MetaStore;
let r2: R2Bucket;
let blobs: BlobStore;
const config = { zones: ["zone-a"] } as Config;
const now = Date.now();

/** A blob key as the blob store mints them, created `ageMs` ago. */
const blobKey = (bucketId: string, ageMs: number, n: number) =>
  `${bucketId}/${(now - ageMs).toString(36).padStart(9, "0")}-${n.toString(16).padStart(24, "0")}`;

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    d1Databases: ["DB"],
    r2Buckets: ["R2_ZONE_A"],
    host: "127.0.0.1",
    port: 0,
  });
  await applyMigrations(mf);
  meta = new MetaStore((await mf.getD1Database("DB")) as unknown as D1Database);
  r2 = (await mf.getR2Bucket("R2_ZONE_A")) as unknown as R2Bucket;
  blobs = new BlobStore({ R2_ZONE_A: r2 } as never);
});
afterAll(() => mf?.dispose());

describe("orphan sweep", () => {
  it("reaches every old orphan over successive runs, keeping known and young blobs", async () => {
    const bucket = await newBucket(meta);
    const old = ORPHAN_GRACE_MS + 60_000;
    // Two live blobs sort first and fill the first page: a sweep that always started at the
    // beginning would list only them, run after run, and never reach an orphan.
    const live = [blobKey(bucket.id, old, 0), blobKey(bucket.id, old, 1)];
    const orphans = Array.from({ length: 7 }, (_, i) => blobKey(bucket.id, old, 10 + i));
    const young = blobKey(bucket.id, 1000, 200);
    for (const [i, k] of live.entries()) await meta.objects.commit(bucket, version(bucket, `live-${i}`, { blobKey: k }), { now, maxVersions: 1000 });
    for (const k of [...live, ...orphans, young]) await r2.put(k, "x");

    // One page of two keys per run: the seven orphans need several runs, each starting after the last.
    let removed = 0;
    let runs = 0;
    while (removed < orphans.length && runs < 10) {
      removed += await sweepOrphanBlobs({ meta, blobs, config }, now, { maxPages: 1, pageSize: 2 });
      runs++;
    }
    expect(removed).toBe(orphans.length);
    expect(runs).toBe(5); // live page, then four pages of orphans (the last one with the young blob)
    const left = (await r2.list()).objects.map((o) => o.key);
    expect(left.sort()).toEqual([...live, young].sort());
    // The run that reached the end forgot its position: the next one starts from the beginning.
    expect(await meta.blobGc.sweepPosition("zone-a")).toBeNull();
  });
});
