/** The objects aggregate: commits with their commit-time checks, null-version replacement, copies, version deletion. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, newBucket, rows, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

const opts = { now: 5 };
const keyRows = (bucketId: string, key: string) =>
  rows<{ version_id: string; seq: number; is_latest: number; blob_key: string | null }>(
    s.db,
    "SELECT version_id, seq, is_latest, blob_key FROM objects WHERE bucket_id = ? AND key = ? ORDER BY seq",
    bucketId,
    key,
  );

describe("commit", () => {
  it("an unversioned write replaces the null version, returns its blob and queues it for deletion", async () => {
    const b = await newBucket(s.meta);
    const first = version(b, "k");
    expect(await s.meta.objects.commit(b, first, opts)).toEqual([]);
    const second = version(b, "k", { etag: "e2" });
    expect(await s.meta.objects.commit(b, second, opts)).toEqual([first.blobKey]);
    expect(await keyRows(b.id, "k")).toEqual([{ version_id: "null", seq: 1, is_latest: 1, blob_key: second.blobKey }]);
    expect(await rows(s.db, "SELECT zone, enqueued_at FROM blob_deletions WHERE blob_key = ?", first.blobKey)).toEqual([{ zone: b.zone, enqueued_at: 5 }]);
    expect((await s.meta.objects.get(b.id, "k"))?.etag).toBe("e2");
  });

  it("a versioned bucket keeps every version, the newest latest", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const v1 = version(b, "k");
    const v2 = version(b, "k");
    await s.meta.objects.commit(b, v1, opts);
    expect(await s.meta.objects.commit(b, v2, opts)).toEqual([]);
    expect((await keyRows(b.id, "k")).map((r) => [r.version_id, r.is_latest])).toEqual([[v1.versionId, 0], [v2.versionId, 1]]);
    expect((await s.meta.objects.get(b.id, "k", v1.versionId))?.isLatest).toBe(false);
  });

  it("a suspended bucket replaces only the null version and keeps the others", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const kept = version(b, "k");
    await s.meta.objects.commit(b, kept, opts);
    const suspended = { ...b, versioning: "Suspended" as const };
    const n1 = version(suspended, "k");
    await s.meta.objects.commit(suspended, n1, opts);
    expect(await s.meta.objects.commit(suspended, version(suspended, "k"), opts)).toEqual([n1.blobKey]);
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
    const u = await newBucket(s.meta);
    await s.meta.objects.commit(u, version(u, "k"), { ...opts, maxVersions: 1 });
    expect(await codeOf(s.meta.objects.commit(u, version(u, "k"), { ...opts, maxVersions: 1 }))).toBeNull();
  });

  it("NoSuchBucket when the bucket row is gone at commit time, and nothing is written", async () => {
    const b = await newBucket(s.meta);
    await s.meta.buckets.delete(b, 1);
    expect(await codeOf(s.meta.objects.commit(b, version(b, "k"), opts))).toBe("NoSuchBucket");
    expect(await keyRows(b.id, "k")).toEqual([]);
  });
});

describe("commitCopy", () => {
  const manifest = async (objectId: string) =>
    rows(s.db, "SELECT part_number, blob_key, start_offset FROM object_parts WHERE object_id = ? ORDER BY part_number", objectId);

  it("shares the source's manifest parts, and fails with NoSuchKey once the source row is gone", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const src = version(b, "src", { blobKey: null, partCount: 2 });
    await s.meta.objects.commit(b, src, opts);
    await s.db.batch([1, 2].map((n) => s.db.prepare("INSERT INTO object_parts VALUES (?, ?, ?, 5, ?, 'pe', NULL)").bind(src.id, n, `${src.id}-p${n}`, (n - 1) * 5)));
    const copy = version(b, "dst", { blobKey: null, partCount: 2 });
    await s.meta.objects.commitCopy(b, copy, src.id, opts);
    expect(await manifest(copy.id)).toEqual(await manifest(src.id));
    expect(await manifest(copy.id)).toHaveLength(2);

    await s.meta.objects.deleteVersion(b, "src", src.versionId, 6);
    const late = version(b, "dst2", { blobKey: null, partCount: 2 });
    expect(await codeOf(s.meta.objects.commitCopy(b, late, src.id, opts))).toBe("NoSuchKey");
    expect(await keyRows(b.id, "dst2")).toEqual([]);
  });

  it("a copy onto its own null version reads the source before replacing it and frees nothing shared", async () => {
    const b = await newBucket(s.meta);
    const src = version(b, "k", { blobKey: null, partCount: 1 });
    await s.meta.objects.commit(b, src, opts);
    await s.db.prepare("INSERT INTO object_parts VALUES (?, 1, ?, 5, 0, 'pe', NULL)").bind(src.id, `${src.id}-p1`).run();
    const copy = version(b, "k", { blobKey: null, partCount: 1, etag: "copied" });
    expect(await s.meta.objects.commitCopy(b, copy, src.id, opts)).toEqual([`${src.id}-p1`]);
    expect(await manifest(copy.id)).toEqual([{ part_number: 1, blob_key: `${src.id}-p1`, start_offset: 0 }]);
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
