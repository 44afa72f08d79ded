/** The listings aggregate (bounded index scans, delimiter roll-up in SQLite) and the blob reference checks. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bucket } from "../../src/store/model";
import { newBucket, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
let b: Bucket;
const KEYS = ["a", "b/1", "b/2", "b/3", "c", "d/x/1", "é"];
beforeAll(async () => {
  s = await startStore();
  b = await newBucket(s.meta, "Enabled");
  for (const key of KEYS) await s.meta.objects.commit(b, version(b, key, { etag: `${key}-1` }), { now: 1 });
  // b/2 gets a second version, c is deleted (a delete marker on top).
  await s.meta.objects.commit(b, version(b, "b/2", { etag: "b/2-2" }), { now: 1 });
  await s.meta.objects.commit(b, version(b, "c", { isDeleteMarker: true, blobKey: null }), { now: 1 });
});
afterAll(() => s.dispose());

describe("listCurrent", () => {
  it("pages over live objects in key order, skipping delete markers and old versions", async () => {
    const page1 = await s.meta.listings.listCurrent(b.id, { limit: 3 });
    expect(page1.map((r) => r.key)).toEqual(["a", "b/1", "b/2"]);
    expect(page1[2].etag).toBe("b/2-2");
    const page2 = await s.meta.listings.listCurrent(b.id, { after: "b/2", limit: 10 });
    expect(page2.map((r) => r.key)).toEqual(["b/3", "d/x/1", "é"]);
    expect(await s.meta.listings.listCurrent(b.id, { from: "b/", before: "b0", limit: 10 })).toHaveLength(3);
  });

  it("with a delimiter, rolls keys up into one row per common prefix", async () => {
    const rows = await s.meta.listings.listCurrent(b.id, { limit: 10, rollup: { prefix: "", delimiter: "/" } });
    expect(rows.map((r) => [r.commonPrefix ?? r.key, r.rows, r.lastKey])).toEqual([
      ["a", 1, "a"],
      ["b/", 3, "b/3"],
      ["d/", 1, "d/x/1"],
      ["é", 1, "é"],
    ]);
    const under = await s.meta.listings.listCurrent(b.id, { from: "d/", before: "d0", limit: 10, rollup: { prefix: "d/", delimiter: "/" } });
    expect(under.map((r) => r.commonPrefix)).toEqual(["d/x/"]);
  });
});

describe("listVersions", () => {
  it("lists every version and delete marker, newest first within a key", async () => {
    const rows = await s.meta.listings.listVersions(b.id, { from: "b/2", before: "c0", limit: 10 });
    expect(rows.map((r) => [r.key, r.isLatest, r.isDeleteMarker])).toEqual([
      ["b/2", true, false],
      ["b/2", false, false],
      ["b/3", true, false],
      ["c", true, true],
      ["c", false, false],
    ]);
    const older = await s.meta.listings.listVersions(b.id, { key: "b/2", seqBelow: rows[0].seq, limit: 10 });
    expect(older.map((r) => r.seq)).toEqual([rows[1].seq]);
  });

  it("rolls versions up by common prefix, counting the versions each prefix stands for", async () => {
    const rows = await s.meta.listings.listVersions(b.id, { limit: 20, rollup: { prefix: "", delimiter: "/" } });
    expect(rows.map((r) => [r.commonPrefix ?? r.key, r.rows])).toEqual([
      ["a", 1],
      ["b/", 4],
      ["c", 1],
      ["c", 1],
      ["d/", 1],
      ["é", 1],
    ]);
  });
});

describe("listUploads", () => {
  it("lists uploads under a prefix in (key, id) order after the markers", async () => {
    const ub = await newBucket(s.meta);
    const ids: string[] = [];
    for (const key of ["p/1", "p/1", "p/2", "q"]) {
      const id = `${key}-${unique("up")}`;
      ids.push(id);
      await s.meta.uploads.create({ id, bucketId: ub.id, key, initiatedAt: 1, ownerId: ub.ownerId, initiatorId: ub.ownerId, httpMeta: {}, userMeta: {}, checksumAlgorithm: null, checksumType: null, ssecKeyMd5: null, acl: null, tags: [], storageClass: "STANDARD" });
    }
    const all = await s.meta.listings.listUploads(ub.id, { prefix: "p/", limit: 10 });
    expect(all.map((u) => u.key)).toEqual(["p/1", "p/1", "p/2"]);
    const [first, second] = all.filter((u) => u.key === "p/1").map((u) => u.id);
    const after = await s.meta.listings.listUploads(ub.id, { prefix: "p/", keyMarker: "p/1", uploadIdMarker: first, limit: 10 });
    expect(after.map((u) => u.id)).toEqual([second, ids[2]]);
    expect((await s.meta.listings.listUploads(ub.id, { prefix: "p/", keyMarker: "p/1", limit: 10 })).map((u) => u.key)).toEqual(["p/2"]);
  });
});

describe("blob references", () => {
  it("a blob is referenced while an object, manifest part or upload part names it, and known while queued", async () => {
    const live = (await s.meta.objects.get(b.id, "a"))!.blobKey!;
    const queued = unique("queued");
    const stranger = unique("stranger");
    await s.meta.blobGc.queue(b.zone, [queued], 4);
    expect(await s.meta.blobGc.referenced([live, queued, stranger])).toEqual(new Set([live]));
    expect(await s.meta.blobGc.known([live, queued, stranger])).toEqual(new Set([live, queued]));
    expect(await s.meta.blobGc.pending(1000, 4)).toContainEqual({ zone: b.zone, blobKey: queued });
    expect(await s.meta.blobGc.pending(1000, 3)).not.toContainEqual({ zone: b.zone, blobKey: queued });
    await s.meta.blobGc.forget(b.zone, [queued]);
    expect(await s.meta.blobGc.known([queued])).toEqual(new Set());
  });

  it("checks more keys than one statement binds (chunked)", async () => {
    const live = (await s.meta.objects.get(b.id, "é"))!.blobKey!;
    const many = [...Array.from({ length: 95 }, (_, i) => `none-${i}`), live];
    expect(await s.meta.blobGc.referenced(many)).toEqual(new Set([live]));
    expect(await s.meta.blobGc.known(many)).toEqual(new Set([live]));
  });
});
