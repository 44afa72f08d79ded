/**
 * Store tier, the commit batches: every assertion code has its trigger, object commits and their
 * checks, null-version replacement, copies sharing blobs, version deletion, parts and upload completion.
 */
import { NO_LOCK } from "../../src/logic/object-lock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSERTION_CODES, assertion, checks, commit } from "../../src/store/d1/batch";
import type { Bucket, MultipartUpload, UploadPart } from "../../src/store/model";
import { codeOf, newBucket, rows, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

describe("batch assertions", () => {
  it.each(ASSERTION_CODES)("%s aborts the batch with that code and writes nothing", async (code) => {
    const marker = `marker-${code}`;
    const write = s.db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', ?, 1)").bind(marker);
    expect(await codeOf(commit(s.db, [write, assertion(s.db, code, "1 = 1")]))).toBe(code);
    expect(await rows(s.db, "SELECT * FROM blob_deletions WHERE blob_key = ?", marker)).toEqual([]);
  });

  it("an assertion whose condition is false lets the batch commit", async () => {
    const write = s.db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', 'kept', 1)");
    await commit(s.db, [assertion(s.db, "NoSuchKey", "1 = 0"), write]);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = 'kept'")).toEqual([{ blob_key: "kept" }]);
  });

  it("a code without a trigger would commit silently, which is why assertion() does not accept one", async () => {
    // @ts-expect-error InvalidArgument has no batch_assertions trigger
    const untriggered = assertion(s.db, "InvalidArgument", "1 = 1");
    await commit(s.db, [untriggered]);
    expect(await rows(s.db, "SELECT failure FROM batch_assertions WHERE failure = 'InvalidArgument'")).toHaveLength(1);
  });

  it("checks() in one statement: the first check that holds, in order, aborts with its code; each check keeps its own parameters", async () => {
    const write = s.db.prepare("INSERT INTO blob_deletions (zone, blob_key, enqueued_at) VALUES ('z', 'checked', 1)");
    const list = (a: number, b: number) =>
      checks(s.db, [
        { failure: "NoSuchBucket", failWhen: "?2 = ?3", params: [a, 1] },
        { failure: "objectLocked", failWhen: "?2 = 'locked'", params: [b === 1 ? "locked" : "free"] },
        { failure: "TooManyVersions", failWhen: "?3 >= ?2", params: [10, b * 10] },
      ]);
    expect(await codeOf(commit(s.db, [list(1, 1), write]))).toBe("NoSuchBucket");
    expect(await codeOf(commit(s.db, [list(0, 1), write]))).toBe("objectLocked");
    expect(await codeOf(commit(s.db, [list(0, 2), write]))).toBe("TooManyVersions");
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = 'checked'")).toEqual([]);
    await commit(s.db, [list(0, 0), write]);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = 'checked'")).toEqual([{ blob_key: "checked" }]);
  });
});

const opts = { now: 5 };
const keyRows = (bucketId: string, key: string) =>
  rows<{ version_id: string; seq: number; is_latest: number; blob_key: string | null }>(
    s.db,
    "SELECT version_id, seq, is_latest, blob_key FROM objects WHERE bucket_id = ? AND key = ? ORDER BY seq",
    bucketId,
    key,
  );

describe("commit", () => {
  it("an unversioned write replaces the null version and queues its blob for deletion (as of the new row's time); it returns the blob when asked", async () => {
    const b = await newBucket(s.meta);
    const first = version(b, "k");
    expect(await s.meta.objects.commit(b, first, { ...opts, reportQueued: true })).toEqual([]);
    const second = version(b, "k", { etag: "e2", lastModified: 5 });
    expect(await s.meta.objects.commit(b, second, { ...opts, reportQueued: true })).toEqual([first.blobKey]);
    // seq only grows: the replaced row's seq is not reused
    expect(await keyRows(b.id, "k")).toEqual([{ version_id: "null", seq: 2, is_latest: 1, blob_key: second.blobKey }]);
    expect(await rows(s.db, "SELECT zone, enqueued_at FROM blob_deletions WHERE blob_key = ?", first.blobKey)).toEqual([{ zone: b.zone, enqueued_at: 5 }]);
    // Not asked: the same drop and queueing (a trigger does them), one statement less.
    const third = version(b, "k", { etag: "e3", lastModified: 6 });
    expect(await s.meta.objects.commit(b, third, opts)).toEqual([]);
    expect(await keyRows(b.id, "k")).toEqual([{ version_id: "null", seq: 3, is_latest: 1, blob_key: third.blobKey }]);
    expect(await rows(s.db, "SELECT zone, enqueued_at FROM blob_deletions WHERE blob_key = ?", second.blobKey)).toEqual([{ zone: b.zone, enqueued_at: 6 }]);
    expect((await s.meta.objects.get(b.id, "k"))?.etag).toBe("e3");
  });

  it("a versioned bucket keeps every version, the newest latest", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const v1 = version(b, "k");
    const v2 = version(b, "k");
    await s.meta.objects.commit(b, v1, opts);
    expect(await s.meta.objects.commit(b, v2, opts)).toEqual([]);
    expect((await keyRows(b.id, "k")).map((r) => [r.version_id, r.is_latest])).toEqual([
      [v1.versionId, 0],
      [v2.versionId, 1],
    ]);
    expect((await s.meta.objects.get(b.id, "k", v1.versionId))?.isLatest).toBe(false);
  });

  it("a suspended bucket replaces only the null version and keeps the others", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const kept = version(b, "k");
    await s.meta.objects.commit(b, kept, opts);
    const suspended = { ...b, versioning: "Suspended" as const };
    const n1 = version(suspended, "k");
    await s.meta.objects.commit(suspended, n1, opts);
    expect(await s.meta.objects.commit(suspended, version(suspended, "k"), { ...opts, reportQueued: true })).toEqual([n1.blobKey]);
    expect((await keyRows(b.id, "k")).map((r) => r.version_id)).toEqual([kept.versionId, "null"]);
  });

  it("If-None-Match: * fails with PreconditionFailed while a live object exists, and passes over a delete marker", async () => {
    const b = await newBucket(s.meta, "Enabled");
    await s.meta.objects.commit(b, version(b, "k"), opts);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), { ...opts, ifNoneMatchStar: true }))).toBe("PreconditionFailed");
    expect(await keyRows(b.id, "k")).toHaveLength(1);
    await s.meta.objects.commit(b, version(b, "k", { isDeleteMarker: true, blobKey: null }), opts);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), { ...opts, ifNoneMatchStar: true }))).toBeNull();
  });

  it("If-Match fails with NoSuchKey on a missing key and PreconditionFailed on another ETag", async () => {
    const b = await newBucket(s.meta);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), { ...opts, ifMatchEtag: "e0" }))).toBe("NoSuchKey");
    await s.meta.objects.commit(b, version(b, "k", { etag: "e1" }), opts);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), { ...opts, ifMatchEtag: "other" }))).toBe("PreconditionFailed");
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k", { etag: "e3" }), { ...opts, ifMatchEtag: "e1" }))).toBeNull();
    expect((await s.meta.objects.get(b.id, "k"))?.etag).toBe("e3");
  });

  it("TooManyVersions when the key's versions fill the limit; replacing the null version still fits", async () => {
    const b = await newBucket(s.meta, "Enabled");
    await s.meta.objects.commit(b, version(b, "k"), { ...opts, maxVersions: 2 });
    await s.meta.objects.commit(b, version(b, "k"), { ...opts, maxVersions: 2 });
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), { ...opts, maxVersions: 2 }))).toBe("TooManyVersions");
    // Suspended: the count is checked, without the null version a write replaces
    const u = await newBucket(s.meta, "Suspended");
    await s.meta.objects.commit(u, version(u, "k"), { ...opts, maxVersions: 1 });
    expect(await codeOf(s.meta.objects.commit(u, version(u, "k"), { ...opts, maxVersions: 1 }))).toBeNull();
  });

  it("NoSuchBucket when the bucket row is gone at commit time, and nothing is written", async () => {
    const b = await newBucket(s.meta);
    await s.meta.buckets.delete(b, 1);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), opts))).toBe("NoSuchBucket");
    expect(await keyRows(b.id, "k")).toEqual([]);
  });

  it("a null version under legal hold in an object-lock bucket is never replaced: objectLocked, nothing changes", async () => {
    const b: Bucket = { ...(await newBucket(s.meta)), objectLock: { defaultRetention: null } };
    const held = version(b, "k", { lock: { ...NO_LOCK, legalHold: true } });
    await s.meta.objects.commit(b, held, opts);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k", { etag: "e2" }), opts))).toBe("objectLocked");
    expect(await keyRows(b.id, "k")).toEqual([{ version_id: "null", seq: 1, is_latest: 1, blob_key: held.blobKey }]);
  });
});

describe("commitCopy", () => {
  const manifest = async (objectId: string) =>
    rows(s.db, "SELECT part_number, blob_key, start_offset FROM object_parts WHERE object_id = ? ORDER BY part_number", objectId);

  it("shares the source's manifest parts, and fails with NoSuchKey once the source row is gone", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const src = version(b, "src", { blobKey: null, partCount: 2 });
    await s.meta.objects.commit(b, src, opts);
    await s.db.batch(
      [1, 2].map((n) => s.db.prepare("INSERT INTO object_parts VALUES (?, ?, ?, 5, ?, 'pe', NULL)").bind(src.id, n, `${src.id}-p${n}`, (n - 1) * 5)),
    );
    const copy = version(b, "dst", { blobKey: null, partCount: 2 });
    await s.meta.objects.commitCopy(b, copy, src.id, opts);
    expect(await manifest(copy.id)).toEqual(await manifest(src.id));
    expect(await manifest(copy.id)).toHaveLength(2);

    await s.meta.objects.deleteVersion(b, "src", src.versionId, 6);
    // The deleted version's manifest rows went with it (trigger, migrations/0014); the copy keeps its own.
    expect(await manifest(src.id)).toEqual([]);
    expect(await manifest(copy.id)).toHaveLength(2);
    const late = version(b, "dst2", { blobKey: null, partCount: 2 });
    expect(await codeOf(s.meta.objects.commitCopy(b, late, src.id, opts))).toBe("NoSuchKey");
    expect(await keyRows(b.id, "dst2")).toEqual([]);
  });

  it("a copy onto its own null version reads the source before replacing it and frees nothing shared", async () => {
    const b = await newBucket(s.meta);
    const src = version(b, "k", { blobKey: null, partCount: 1 });
    await s.meta.objects.commit(b, src, opts);
    await s.db.prepare("INSERT INTO object_parts VALUES (?, 1, ?, 5, 0, 'pe', NULL)").bind(src.id, `${src.id}-p1`).run();
    // its own millisecond: what is reported is all that was queued at the row's time in the zone
    const copy = version(b, "k", { blobKey: null, partCount: 1, etag: "copied", lastModified: 8 });
    expect(await s.meta.objects.commitCopy(b, copy, src.id, { ...opts, reportQueued: true })).toEqual([`${src.id}-p1`]);
    expect(await manifest(copy.id)).toEqual([{ part_number: 1, blob_key: `${src.id}-p1`, start_offset: 0 }]);
    expect(await manifest(src.id)).toEqual([]); // the replaced null version's manifest rows are gone
    expect(await s.meta.blobGc.referenced([`${src.id}-p1`])).toEqual(new Set([`${src.id}-p1`]));
  });

  it("without a source row to share (own bytes) it commits as a plain write", async () => {
    const b = await newBucket(s.meta);
    await s.meta.objects.commitCopy(b, version(b, "k"), null, opts);
    expect(await keyRows(b.id, "k")).toHaveLength(1);
  });
});

describe("deleteVersion", () => {
  it("removes one version, returns it and its blobs, and promotes the newest remaining to latest", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const v1 = version(b, "k");
    const v2 = version(b, "k");
    await s.meta.objects.commit(b, v1, opts);
    await s.meta.objects.commit(b, v2, opts);
    const { deleted, freed } = await s.meta.objects.deleteVersion(b, "k", v2.versionId, 7);
    expect(deleted?.id).toBe(v2.id);
    expect(freed).toEqual([v2.blobKey]);
    expect(await keyRows(b.id, "k")).toEqual([{ version_id: v1.versionId, seq: 1, is_latest: 1, blob_key: v1.blobKey }]);
    expect(await s.meta.objects.deleteVersion(b, "k", unique("missing"), 7)).toEqual({ deleted: null, freed: [] });
  });
});

async function newUpload(b: Bucket, key = "k"): Promise<MultipartUpload> {
  const u: MultipartUpload = {
    id: unique("up"),
    bucketId: b.id,
    key,
    initiatedAt: 1,
    ownerId: b.ownerId,
    initiatorId: b.ownerId,
    httpMeta: { "content-type": "text/plain" },
    userMeta: { a: "1" },
    checksumAlgorithm: null,
    checksumType: null,
    ssecKeyMd5: null,
    acl: null,
    tags: [],
    storageClass: "STANDARD",
    lock: NO_LOCK,
  };
  await s.meta.uploads.create(u);
  return u;
}
const part = (u: MultipartUpload, partNumber: number, size = 5): UploadPart => ({
  uploadId: u.id,
  partNumber,
  blobKey: unique(`part${partNumber}`),
  size,
  etag: `etag${partNumber}`,
  checksumValue: null,
  uploadedAt: 2,
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
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key IN (?, ?, ?)", p1.blobKey, p2.blobKey, p3.blobKey)).toEqual([
      { blob_key: p2.blobKey },
    ]);
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
