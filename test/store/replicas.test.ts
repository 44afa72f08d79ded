/**
 * The replica records (src/store/d1/replicas.ts) against Miniflare's local D1 with the migrations:
 * what the replicate job still has to copy, and the reconciling job's pages, which must reach every
 * referenced, copyable blob without a copy exactly once, SSE-C blobs and rows without a blob never.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newBucket, startStore, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => {
  s = await startStore();
});
afterAll(() => s?.dispose());

describe("replica records", () => {
  it("pages through referenced blobs without a copy, skipping copied, SSE-C and blob-less rows", async () => {
    const bucket = await newBucket(s.meta);
    const keys = Array.from({ length: 7 }, (_, i) => `${bucket.id}/blob-${i}`);
    for (const [i, blobKey] of keys.entries()) {
      await s.meta.objects.commit(bucket, version(bucket, `k${i}`, { blobKey, ssecKeyMd5: i === 3 ? "md5-of-key" : null }), { now: 1, maxVersions: 10 });
    }
    await s.meta.objects.commit(bucket, version(bucket, "no-blob", { blobKey: null }), { now: 1, maxVersions: 10 });
    await s.meta.replicas.record("zone-a", [keys[1], keys[5]], 1);
    const due = [keys[0], keys[2], keys[4], keys[6]];

    expect((await s.meta.replicas.toCopy("zone-a", keys)).sort()).toEqual(due);
    const seen: string[] = [];
    let after = "";
    for (let page = 0; page < 10; page++) {
      const keysOfPage = await s.meta.replicas.unreplicated("zone-a", after, 2);
      if (keysOfPage.length === 0) break;
      seen.push(...keysOfPage);
      after = keysOfPage.at(-1)!;
    }
    expect(seen).toEqual(due);
    expect(await s.meta.replicas.unreplicated("zone-b", "", 100)).toEqual([]);
    expect(await s.meta.replicas.counts("zone-a")).toEqual({ zone: "zone-a", referenced: 7, replicated: 2, unreplicated: 4, ssecUnreplicable: 1 });

    // Recording twice changes nothing; forgetting makes a blob due again.
    await s.meta.replicas.record("zone-a", [keys[1]], 2);
    await s.meta.replicas.forget("zone-a", [keys[5]]);
    expect((await s.meta.replicas.toCopy("zone-a", keys)).sort()).toEqual([...due, keys[5]].sort());
  });
});
