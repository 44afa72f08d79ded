/** The uploads aggregate: parts, completion into an object's manifest, abort. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bucket, MultipartUpload, UploadPart } from "../../src/store/model";
import { codeOf, newBucket, rows, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

async function newUpload(b: Bucket, key = "k"): Promise<MultipartUpload> {
  const u: MultipartUpload = {
    id: unique("up"), bucketId: b.id, key, initiatedAt: 1, ownerId: b.ownerId, initiatorId: b.ownerId, httpMeta: { "content-type": "text/plain" },
    userMeta: { a: "1" }, checksumAlgorithm: null, checksumType: null, ssecKeyMd5: null, acl: null, tags: [], storageClass: "STANDARD",
  };
  await s.meta.uploads.create(u);
  return u;
}
const part = (u: MultipartUpload, partNumber: number, size = 5): UploadPart => ({
  uploadId: u.id, partNumber, blobKey: unique(`part${partNumber}`), size, etag: `etag${partNumber}`, checksumValue: null, uploadedAt: 2,
});

describe("uploads", () => {
  it("create refuses a bucket that is gone (NoSuchBucket); get reads the upload back with its metadata", async () => {
    const b = await newBucket(s.meta);
    const u = await newUpload(b);
    expect(await s.meta.uploads.get(b.id, "k", u.id)).toEqual(u);
    expect(await s.meta.uploads.get(b.id, "other", u.id)).toBeNull();
    await s.meta.uploads.abort(b.zone, u.id, 3);
    await s.meta.buckets.delete(b, 3);
    expect(await codeOf(newUpload(b))).toBe("NoSuchBucket");
  });

  it("putPart replaces an earlier part of the same number, returning its blob; NoSuchUpload once the upload is gone", async () => {
    const b = await newBucket(s.meta);
    const u = await newUpload(b);
    const p1 = part(u, 1);
    expect(await s.meta.uploads.putPart(b.zone, p1)).toEqual([]);
    const again = part(u, 1);
    expect(await s.meta.uploads.putPart(b.zone, again)).toEqual([p1.blobKey]);
    expect((await s.meta.uploads.listParts(u.id)).map((p) => p.blobKey)).toEqual([again.blobKey]);
    const { existed, freed } = await s.meta.uploads.abort(b.zone, u.id, 3);
    expect({ existed, freed }).toEqual({ existed: true, freed: [again.blobKey] });
    expect(await codeOf(s.meta.uploads.putPart(b.zone, part(u, 2)))).toBe("NoSuchUpload");
    expect((await s.meta.uploads.abort(b.zone, u.id, 3)).existed).toBe(false);
  });

  it("commitCompletedUpload turns the chosen parts into the manifest with offsets and queues the unchosen", async () => {
    const b = await newBucket(s.meta);
    const u = await newUpload(b);
    const [p1, p2, p3] = [part(u, 1, 7), part(u, 2, 3), part(u, 3, 4)];
    for (const p of [p1, p2, p3]) await s.meta.uploads.putPart(b.zone, p);
    const v = version(b, "k", { blobKey: null, partCount: 2, size: 11 });
    await s.meta.objects.commitCompletedUpload(b, v, u.id, [p1, p3], { now: 9 });
    expect(await s.meta.objects.parts(v.id)).toEqual([
      { partNumber: 1, blobKey: p1.blobKey, size: 7, startOffset: 0, etag: "etag1", checksumValue: null },
      { partNumber: 3, blobKey: p3.blobKey, size: 4, startOffset: 7, etag: "etag3", checksumValue: null },
    ]);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key IN (?, ?, ?)", p1.blobKey, p2.blobKey, p3.blobKey)).toEqual([{ blob_key: p2.blobKey }]);
    expect(await s.meta.uploads.get(b.id, "k", u.id)).toBeNull();
    expect(await s.meta.uploads.listParts(u.id)).toEqual([]);
    expect(await codeOf(s.meta.objects.commitCompletedUpload(b, version(b, "k"), u.id, [p1], { now: 9 }))).toBe("NoSuchUpload");
  });

  it("InvalidPart when a chosen part's ETag changed, and nothing is committed", async () => {
    const b = await newBucket(s.meta);
    const u = await newUpload(b);
    const p1 = part(u, 1);
    await s.meta.uploads.putPart(b.zone, p1);
    const v = version(b, "k", { blobKey: null, partCount: 1 });
    expect(await codeOf(s.meta.objects.commitCompletedUpload(b, v, u.id, [{ ...p1, etag: "stale" }], { now: 9 }))).toBe("InvalidPart");
    expect(await codeOf(s.meta.objects.commitCompletedUpload(b, v, u.id, [p1, part(u, 2)], { now: 9 }))).toBe("InvalidPart");
    expect(await s.meta.objects.get(b.id, "k")).toBeNull();
    expect(await s.meta.uploads.listParts(u.id)).toHaveLength(1);
  });

  it("stale lists uploads initiated before the cut-off with their zone", async () => {
    const b = await newBucket(s.meta);
    const u = await newUpload(b);
    const stale = await s.meta.uploads.stale(2, 1000);
    expect(stale).toContainEqual({ id: u.id, zone: b.zone });
    expect(await s.meta.uploads.stale(1, 1000)).not.toContainEqual({ id: u.id, zone: b.zone });
  });
});
