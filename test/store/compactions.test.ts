/**
 * Store tier, manifest compaction's state (migrations/0011): the scan that queues manifests no
 * commit queued, the lease that keeps two runs off one upload, the swap that moves a manifest's
 * bytes to the compacted blob only while the row is still that manifest, and the release of a
 * compaction whose manifest went away.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactionMark } from "../../src/store/d1/compactions";
import type { Bucket } from "../../src/store/model";
import { codeOf, newBucket, rows, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

/** Commits a manifest object of `parts` part blobs (the rows a completed upload leaves); returns its row id and part blob keys. */
async function manifest(b: Bucket, key: string, parts: number, over: { ssecKeyMd5?: string } = {}): Promise<{ id: string; partKeys: string[] }> {
  const v = version(b, key, { blobKey: null, partCount: parts, size: parts * 100, etag: `m-${parts}`, ...over });
  await s.meta.objects.commit(b, v, { now: 1 });
  const partKeys = Array.from({ length: parts }, () => unique("part"));
  await s.db.batch(
    partKeys.map((k, i) =>
      s.db
        .prepare("INSERT INTO object_parts (object_id, part_number, blob_key, size, start_offset, etag) VALUES (?, ?, ?, 100, ?, 'e')")
        .bind(v.id, i + 1, k, i * 100),
    ),
  );
  return { id: v.id, partKeys };
}

const queued = async () => (await rows<{ object_id: string }>(s.db, "SELECT object_id FROM compactions ORDER BY object_id")).map((r) => r.object_id);
/** Queues one manifest, as its commit does. */
const queue = (b: Bucket, objectId: string) => compactionMark(s.db, objectId, b.zone, 1).run();
const clear = () => s.db.batch([s.db.prepare("DELETE FROM compactions"), s.db.prepare("DELETE FROM compaction_scan")]);

describe("compactions", () => {
  it("the scan queues manifests with more parts than the limit, never SSE-C ones, one page per call, resuming after the last id", async () => {
    await clear();
    const b = await newBucket(s.meta);
    const big1 = await manifest(b, "a", 5);
    const small = await manifest(b, "b", 2);
    const big2 = await manifest(b, "c", 6);
    const ssec = await manifest(b, "d", 7, { ssecKeyMd5: "md5" });
    const seen = new Set<string>();
    let more = true;
    let calls = 0;
    while (more) {
      const page = await s.meta.compactions.scan(4, 2, 10);
      more = page.more;
      for (const id of await queued()) seen.add(id);
      if (++calls > 10) throw new Error("the scan does not end");
    }
    expect(calls).toBeGreaterThan(1);
    expect([...seen].sort()).toEqual([big1.id, big2.id].sort());
    expect(seen.has(small.id) || seen.has(ssec.id)).toBe(false);
    // A second pass queues nothing new.
    expect((await s.meta.compactions.scan(4, 100, 11)).queued).toBe(0);
  });

  it("a claimed compaction is not claimed again until released", async () => {
    await clear();
    const b = await newBucket(s.meta);
    await queue(b, (await manifest(b, "k", 5)).id);
    const job = await s.meta.compactions.claimNext(100, 100 + 60_000);
    expect(job).toMatchObject({ nextPart: 1, sourceOffset: 0, uploadId: null });
    expect(await s.meta.compactions.claimNext(200, 200 + 60_000)).toBeNull();
    await s.meta.compactions.release(job!.objectId);
    expect((await s.meta.compactions.claimNext(300, 300 + 60_000))?.objectId).toBe(job!.objectId);
  });

  it("the swap points the row and its parts at the new blob and queues the part blobs; progress and parts are forgotten", async () => {
    await clear();
    const b = await newBucket(s.meta);
    const m = await manifest(b, "k", 5);
    await queue(b, m.id);
    const blob = unique("compacted");
    await s.meta.compactions.start(m.id, blob, "upload-1", 5 * 1024 ** 2, 2);
    await s.meta.compactions.partUploaded(m.id, 1, "etag-1", 500, 3);
    expect(await s.meta.compactions.uploadedParts(m.id)).toEqual([{ partNumber: 1, etag: "etag-1" }]);
    // The orphan sweep must not take the blob being written for a blob nobody knows.
    expect((await s.meta.blobGc.known([blob])).has(blob)).toBe(true);

    const freed = await s.meta.compactions.swap(m.id, b.zone, blob, 4);
    expect(freed.sort()).toEqual([...m.partKeys].sort());
    const obj = await s.meta.objects.get(b.id, "k");
    expect(obj).toMatchObject({ blobKey: blob, partCount: 5, etag: "m-5", size: 500 });
    expect(new Set((await s.meta.objects.parts(m.id)).map((p) => p.blobKey))).toEqual(new Set([blob]));
    expect((await s.meta.objects.parts(m.id)).map((p) => p.startOffset)).toEqual([0, 100, 200, 300, 400]);
    expect(await rows(s.db, "SELECT * FROM compaction_parts WHERE object_id = ?", m.id)).toEqual([]);
    expect(await queued()).toEqual([]);
    // The part blobs are free; the new blob is the row's.
    const referenced = await s.meta.blobGc.referenced([blob, ...m.partKeys]);
    expect([...referenced]).toEqual([blob]);
  });

  it("a swap after the manifest was replaced is NoSuchKey and changes nothing; abandoning queues the new blob for deletion", async () => {
    await clear();
    const b = await newBucket(s.meta);
    const m = await manifest(b, "k", 5);
    await queue(b, m.id);
    const blob = unique("compacted");
    await s.meta.compactions.start(m.id, blob, "upload-1", 5 * 1024 ** 2, 2);
    const replacement = version(b, "k");
    await s.meta.objects.commit(b, replacement, { now: 3 });

    expect(await codeOf(s.meta.compactions.swap(m.id, b.zone, blob, 4))).toBe("NoSuchKey");
    expect((await s.meta.objects.get(b.id, "k"))?.blobKey).toBe(replacement.blobKey);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = ?", blob)).toEqual([]);

    await s.meta.compactions.abandon(m.id, b.zone, blob, 5);
    expect(await queued()).toEqual([]);
    expect(await rows(s.db, "SELECT zone, enqueued_at FROM blob_deletions WHERE blob_key = ?", blob)).toEqual([{ zone: b.zone, enqueued_at: 5 }]);
  });

  it("a failed compaction keeps its reason, releases its blob and is never claimed again", async () => {
    await clear();
    const b = await newBucket(s.meta);
    const m = await manifest(b, "k", 5);
    await queue(b, m.id);
    const blob = unique("compacted");
    await s.meta.compactions.start(m.id, blob, "upload-1", 5 * 1024 ** 2, 2);
    await s.meta.compactions.fail(m.id, b.zone, blob, "part 3 has MD5 x, its ETag is y", 3);
    expect(await rows(s.db, "SELECT failed, blob_key FROM compactions WHERE object_id = ?", m.id)).toEqual([
      { failed: "part 3 has MD5 x, its ETag is y", blob_key: null },
    ]);
    expect(await rows(s.db, "SELECT blob_key FROM blob_deletions WHERE blob_key = ?", blob)).toHaveLength(1);
    expect(await s.meta.compactions.claimNext(10, 20)).toBeNull();
    expect((await s.meta.objects.get(b.id, "k"))?.blobKey).toBeNull();
  });
});
