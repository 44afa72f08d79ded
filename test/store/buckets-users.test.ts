/** The buckets and users aggregates: quotas and emptiness checked at commit, the row cache, user and key lifecycle. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, newBucket, startStore, unique, version, type StoreHarness } from "./store";

let s: StoreHarness;
beforeAll(async () => void (s = await startStore()));
afterAll(() => s.dispose());

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
    await s.meta.uploads.create({ id, bucketId: b.id, key: "u", initiatedAt: 1, ownerId: b.ownerId, initiatorId: b.ownerId, httpMeta: {}, userMeta: {}, checksumAlgorithm: null, checksumType: null, ssecKeyMd5: null, acl: null, tags: [], storageClass: "STANDARD" });
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
    expect((await s.db.prepare("SELECT cors, tags FROM buckets WHERE id = ?").bind(b.id).first())).toEqual({ cors: null, tags: null });

    const v = version(b, "k");
    await s.meta.objects.commit(b, v, { now: 1 });
    expect(await s.meta.objects.setTags(v.id, [{ key: "a", value: "1" }, { key: "b", value: "2" }])).toBe(true);
    expect(await s.meta.objects.setAcl(v.id, acl)).toBe(true);
    const obj = (await s.meta.objects.get(b.id, "k"))!;
    expect([obj.tags, obj.tagCount, obj.acl]).toEqual([[{ key: "a", value: "1" }, { key: "b", value: "2" }], 2, acl]);
  });

  it("an unreadable ACL reads as the default (owner only) and unreadable key operations as none", async () => {
    const b = await newBucket(s.meta);
    await s.db.prepare("UPDATE buckets SET acl = '{not json' WHERE id = ?").bind(b.id).run();
    await s.meta.buckets.setVersioning(b.id, "Enabled"); // clears the row cache
    expect((await s.meta.buckets.get(b.name))?.acl).toBeNull();
    const key = { accessKeyId: unique("AK"), userId: b.ownerId, secretEnc: "enc", bucket: null, operations: ["GetObject", "PutObject"], enabled: true, createdAt: 1 };
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
