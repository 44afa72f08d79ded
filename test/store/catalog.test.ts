/**
 * Store tier, reads and configuration: the listings (bounded index scans, delimiter roll-up in
 * SQLite), blob reference checks, buckets (quota, emptiness, cache, usage), JSON columns, users and keys.
 */
import { NO_LOCK } from "../../src/logic/object-lock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bucket } from "../../src/store/model";
import { OBJECT_META_COLUMNS } from "../../src/store/d1/rows";
import { codeOf, newBucket, rows, startStore, unique, version, type StoreHarness } from "./store";

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

  it("with a delimiter, answers one row per common prefix (the walk seeks past each prefix)", async () => {
    const rows = await s.meta.listings.listCurrent(b.id, { limit: 10, rollup: { prefix: "", delimiter: "/" } });
    // A prefix row is the first live key under it; the caller seeks past the prefix, never from lastKey.
    expect(rows.map((r) => [r.commonPrefix ?? r.key, r.rows, r.lastKey])).toEqual([
      ["a", 1, "a"],
      ["b/", 1, "b/1"],
      ["d/", 1, "d/x/1"],
      ["é", 1, "é"],
    ]);
    // `limit` counts entries, not keys: two entries are the key and the first prefix.
    const two = await s.meta.listings.listCurrent(b.id, { limit: 2, rollup: { prefix: "", delimiter: "/" } });
    expect(two.map((r) => r.commonPrefix ?? r.key)).toEqual(["a", "b/"]);
    const under = await s.meta.listings.listCurrent(b.id, { from: "d/", before: "d0", limit: 10, rollup: { prefix: "d/", delimiter: "/" } });
    expect(under.map((r) => r.commonPrefix)).toEqual(["d/x/"]);
  });
});

describe("version reads without the bytes", () => {
  it("OBJECT_META_COLUMNS names every column of objects but inline_body", async () => {
    const columns = (await rows<{ name: string }>(s.db, "SELECT name FROM pragma_table_info('objects') ORDER BY cid")).map((c) => c.name);
    expect(OBJECT_META_COLUMNS.split(", ")).toEqual(columns.filter((c) => c !== "inline_body"));
  });

  it("getMeta reads what get reads but an inline object's bytes, for the latest and a given version", async () => {
    const ib = await newBucket(s.meta, "Enabled");
    const bytes = new TextEncoder().encode("inline bytes");
    const v = version(ib, "inline", { blobKey: null, inlineBody: bytes, size: bytes.length, userMeta: { a: "1" }, tags: [{ key: "t", value: "v" }] });
    await s.meta.objects.commit(ib, v, { now: 1 });
    const full = await s.meta.objects.get(ib.id, "inline");
    expect(full?.inlineBody).toEqual(bytes);
    const { inlineBody: _bytes, ...meta } = full!;
    expect(await s.meta.objects.getMeta(ib.id, "inline")).toEqual(meta);
    expect(await s.meta.objects.getMeta(ib.id, "inline", full!.versionId)).toEqual(meta);
    expect(await s.meta.objects.getMeta(ib.id, "no-such-key")).toBeNull();
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

  it("rolls versions up by common prefix: one row per prefix (the walk seeks past it), every version of the other keys", async () => {
    const rows = await s.meta.listings.listVersions(b.id, { limit: 20, rollup: { prefix: "", delimiter: "/" } });
    expect(rows.map((r) => [r.commonPrefix ?? r.key, r.rows])).toEqual([
      ["a", 1],
      ["b/", 1],
      ["c", 1],
      ["c", 1],
      ["d/", 1],
      ["é", 1],
    ]);
    // c's two rows are its delete marker, then the version under it
    expect(rows.filter((r) => r.key === "c").map((r) => r.isDeleteMarker)).toEqual([true, false]);
    // the limit counts entries: a prefix is one, each version one
    const first = await s.meta.listings.listVersions(b.id, { limit: 3, rollup: { prefix: "", delimiter: "/" } });
    expect(first.map((r) => r.commonPrefix ?? r.key)).toEqual(["a", "b/", "c"]);
    const under = await s.meta.listings.listVersions(b.id, { from: "b/", before: "b0", limit: 20, rollup: { prefix: "b/", delimiter: "/" } });
    expect(under.map((r) => [r.key, r.commonPrefix])).toEqual([
      ["b/1", null],
      ["b/2", null],
      ["b/2", null],
      ["b/3", null],
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
      await s.meta.uploads.create({
        id,
        bucketId: ub.id,
        key,
        initiatedAt: 1,
        ownerId: ub.ownerId,
        initiatorId: ub.ownerId,
        httpMeta: {},
        userMeta: {},
        checksumAlgorithm: null,
        checksumType: null,
        ssecKeyMd5: null,
        acl: null,
        tags: [],
        storageClass: "STANDARD",
        lock: NO_LOCK,
      });
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

describe("buckets", () => {
  it("create fails with TooManyBuckets at the owner's quota and returns false for a taken name", async () => {
    const b = await newBucket(s.meta, null, 1);
    expect(await codeOf(s.meta.buckets.create({ ...b, id: unique("bkt"), name: unique("name") }))).toBe("TooManyBuckets");
    const other = await newBucket(s.meta);
    expect(await s.meta.buckets.create({ ...other, id: unique("bkt"), name: b.name })).toBe(false);
  });

  it("delete fails with BucketNotEmpty while a version or delete marker exists, and aborts its uploads", async () => {
    const b = await newBucket(s.meta, "Enabled");
    const v = version(b, "k");
    await s.meta.objects.commit(b, v, { now: 1 });
    expect(await codeOf(s.meta.buckets.delete(b, 2))).toBe("BucketNotEmpty");
    await s.meta.objects.deleteVersion(b, "k", v.versionId, 2);
    const id = unique("up");
    await s.meta.uploads.create({
      id,
      bucketId: b.id,
      key: "u",
      initiatedAt: 1,
      ownerId: b.ownerId,
      initiatorId: b.ownerId,
      httpMeta: {},
      userMeta: {},
      checksumAlgorithm: null,
      checksumType: null,
      ssecKeyMd5: null,
      acl: null,
      tags: [],
      storageClass: "STANDARD",
      lock: NO_LOCK,
    });
    const partBlob = unique("part");
    await s.meta.uploads.putPart(b.zone, { uploadId: id, partNumber: 1, blobKey: partBlob, size: 1, etag: "e", checksumValue: null, uploadedAt: 1 });
    await s.meta.buckets.delete(b, 3);
    expect(await s.meta.buckets.get(b.name)).toBeNull();
    expect(await s.meta.uploads.get(b.id, "u", id)).toBeNull();
    expect(await s.meta.blobGc.pending(10_000)).toContainEqual({ zone: b.zone, blobKey: partBlob });
  });

  it("a configuration write is visible at once to the next read in this isolate", async () => {
    const b = await newBucket(s.meta);
    expect((await s.meta.buckets.get(b.name))?.versioning).toBeNull();
    await s.meta.buckets.setVersioning(b.id, "Enabled");
    expect((await s.meta.buckets.get(b.name))?.versioning).toBe("Enabled");
    expect((await s.meta.buckets.listOwnedBy(b.ownerId)).map((x) => x.name)).toEqual([b.name]);
  });

  it("usage counts live objects and bills each at least 128 KiB", async () => {
    const b = await newBucket(s.meta);
    await s.meta.objects.commit(b, version(b, "small", { size: 10 }), { now: 1 });
    await s.meta.objects.commit(b, version(b, "big", { size: 200_000 }), { now: 1 });
    expect(await s.meta.buckets.usage(b.id)).toEqual({ objectCount: 2, storedBytes: 200_010, billedBytes: 131_072 + 200_000 });
  });
});

describe("JSON columns", () => {
  it("ACL, CORS rules and tags are written and read back as typed values", async () => {
    const b = await newBucket(s.meta);
    const acl = [{ grantee: { type: "Group" as const, uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" as const }];
    const cors = [{ id: "r1", allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: ["ETag"], maxAgeSeconds: 60 }];
    await s.meta.buckets.setAcl(b.id, acl);
    await s.meta.buckets.setCors(b.id, cors);
    await s.meta.buckets.setTags(b.id, [{ key: "k", value: "v" }]);
    const read = (await s.meta.buckets.get(b.name))!;
    expect([read.acl, read.cors, read.tags]).toEqual([acl, cors, [{ key: "k", value: "v" }]]);
    await s.meta.buckets.setTags(b.id, []);
    await s.meta.buckets.setCors(b.id, null);
    const cleared = (await s.meta.buckets.get(b.name))!;
    expect([cleared.cors, cleared.tags]).toEqual([null, []]);
    expect(await s.db.prepare("SELECT cors, tags FROM buckets WHERE id = ?").bind(b.id).first()).toEqual({ cors: null, tags: null });

    const v = version(b, "k");
    await s.meta.objects.commit(b, v, { now: 1 });
    expect(
      await s.meta.objects.setTags(v.id, [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ]),
    ).toBe(true);
    expect(await s.meta.objects.setAcl(v.id, acl)).toBe(true);
    const obj = (await s.meta.objects.get(b.id, "k"))!;
    expect([obj.tags, obj.tagCount, obj.acl]).toEqual([
      [
        { key: "a", value: "1" },
        { key: "b", value: "2" },
      ],
      2,
      acl,
    ]);
  });

  it("keeps a bucket's policy, public access block and ownership controls, and removes them", async () => {
    const b = await newBucket(s.meta);
    const policy = '{"Version": "2012-10-17", "Statement": []}';
    const pab = { blockPublicAcls: true, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false };
    await s.meta.buckets.setPolicy(b.id, policy);
    await s.meta.buckets.setPublicAccessBlock(b.id, pab);
    await s.meta.buckets.setObjectOwnership(b.id, "BucketOwnerEnforced");
    const read = (await s.meta.buckets.get(b.name))!;
    expect([read.policy, read.publicAccessBlock, read.objectOwnership]).toEqual([policy, pab, "BucketOwnerEnforced"]);
    await s.meta.buckets.setPolicy(b.id, null);
    await s.meta.buckets.setPublicAccessBlock(b.id, null);
    await s.meta.buckets.setObjectOwnership(b.id, null);
    const cleared = (await s.meta.buckets.get(b.name))!;
    expect([cleared.policy, cleared.publicAccessBlock, cleared.objectOwnership]).toEqual([null, null, null]);
    // Unreadable values fail closed: every public access setting on, ACLs disabled.
    await s.db.prepare("UPDATE buckets SET public_access_block = 'x', object_ownership = 'Other' WHERE id = ?").bind(b.id).run();
    const bad = (await s.meta.buckets.get(b.name).then(() => s.meta.buckets.listAll())).find((x) => x.id === b.id)!;
    expect([bad.publicAccessBlock, bad.objectOwnership]).toEqual([
      { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true },
      "BucketOwnerEnforced",
    ]);
  });

  it("an unreadable ACL reads as the default (owner only) and unreadable key operations as none", async () => {
    const b = await newBucket(s.meta);
    await s.db.prepare("UPDATE buckets SET acl = '{not json' WHERE id = ?").bind(b.id).run();
    await s.meta.buckets.setVersioning(b.id, "Enabled"); // clears the row cache
    expect((await s.meta.buckets.get(b.name))?.acl).toBeNull();
    const key = {
      accessKeyId: unique("AK"),
      userId: b.ownerId,
      secretEnc: "enc",
      bucket: null,
      operations: ["GetObject", "PutObject"],
      enabled: true,
      createdAt: 1,
    };
    await s.meta.keys.create(key);
    expect((await s.meta.keys.get(key.accessKeyId))?.operations).toEqual(["GetObject", "PutObject"]);
    await s.db.prepare("UPDATE access_keys SET operations = '[oops' WHERE access_key_id = ?").bind(key.accessKeyId).run();
    expect((await s.meta.keys.get(key.accessKeyId))?.operations).toEqual([]);
  });
});

describe("users and keys", () => {
  it("a user owning buckets is not deleted; without, the user and their keys go", async () => {
    const b = await newBucket(s.meta);
    expect(await s.meta.users.delete(b.ownerId)).toBe("owns-buckets");
    const id = unique("user");
    expect(await s.meta.users.create({ id, displayName: id, email: `${id}@Example.com`, maxBuckets: 1, createdAt: 1 })).toBe(true);
    expect(await s.meta.users.create({ id, displayName: id, email: null, maxBuckets: 1, createdAt: 1 })).toBe(false);
    expect((await s.meta.users.getByEmail(`${id}@example.COM`))?.id).toBe(id);
    const key = { accessKeyId: unique("AK"), userId: id, secretEnc: "enc", bucket: null, operations: "read-only" as const, enabled: true, createdAt: 1 };
    await s.meta.keys.create(key);
    expect(await s.meta.keys.get(key.accessKeyId)).toEqual(key);
    expect(await s.meta.keys.setEnabled(key.accessKeyId, false)).toBe(true);
    expect((await s.meta.keys.list(id)).map((k) => k.enabled)).toEqual([false]);
    expect(await s.meta.users.delete(id)).toBe("deleted");
    expect(await s.meta.keys.get(key.accessKeyId)).toBeNull();
    expect(await s.meta.users.delete(id)).toBe("missing");
  });
});
