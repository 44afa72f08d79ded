/**
 * Object and bucket tagging end to end through @aws-sdk/client-s3: the tagging subresources,
 * x-amz-tagging on PutObject / CreateMultipartUpload / CopyObject, per-version tags, the count
 * header, and S3's limits and error codes.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
  type Tag,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, startWorker, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
const B = "tags";
const V = "tags-versioned";
beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: V }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: "Enabled" } }));
});
afterAll(() => h?.dispose());

const signer = () => new AwsClient({ ...ROOT, service: "s3", region: "us-east-1" });
async function raw(method: string, path: string, body?: string) {
  const res = await signer().fetch(h.url + path, { method, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

const header = (tags: Record<string, string>) => new URLSearchParams(tags).toString();
const tagSet = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, `value${i}`]));

async function tagsOf(Bucket: string, Key: string, VersionId?: string): Promise<Tag[]> {
  return (await s3.send(new GetObjectTaggingCommand({ Bucket, Key, VersionId }))).TagSet ?? [];
}

async function putTags(Bucket: string, Key: string, tags: Tag[], VersionId?: string) {
  return s3.send(new PutObjectTaggingCommand({ Bucket, Key, VersionId, Tagging: { TagSet: tags } }));
}

describe("object tagging subresource", () => {
  it("puts, reads and deletes a tag set; GET reports the count", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "obj", Body: "x" }));
    expect(await tagsOf(B, "obj")).toEqual([]);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "obj" }))).TagCount).toBeUndefined();

    const put = await putTags(B, "obj", tagSet({ project: "apollo", "cost center": "42" }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(put.VersionId).toBeUndefined();
    expect(await tagsOf(B, "obj")).toEqual(tagSet({ project: "apollo", "cost center": "42" }));
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "obj" }))).TagCount).toBe(2);
    expect((await raw("HEAD", `/${B}/obj`)).headers.get("x-amz-tagging-count")).toBe("2");

    // A new set replaces the old one entirely.
    await putTags(B, "obj", tagSet({ only: "one" }));
    expect(await tagsOf(B, "obj")).toEqual(tagSet({ only: "one" }));

    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: B, Key: "obj" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect(await tagsOf(B, "obj")).toEqual([]);
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "obj" }))).TagCount).toBeUndefined();

    // An empty TagSet removes the tags too.
    await putTags(B, "obj", tagSet({ a: "1" }));
    await putTags(B, "obj", []);
    expect(await tagsOf(B, "obj")).toEqual([]);
  });

  it("keeps every allowed character exactly", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "chars", Body: "x" }));
    const tags = tagSet({ "a b_c.d:e/f=g+h-i@j": "ünïcödé 日本語 ٣", empty: "", " padded ": " v " });
    await putTags(B, "chars", tags);
    expect(await tagsOf(B, "chars")).toEqual(tags);
  });

  it("answers NoSuchKey for a missing object and MalformedXML for a bad document", async () => {
    await expect(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "missing" }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(putTags(B, "missing", tagSet({ a: "1" }))).rejects.toMatchObject({ name: "NoSuchKey" });
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "xml", Body: "x" }));
    expect((await raw("PUT", `/${B}/xml?tagging`, "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")).code).toBe("MalformedXML");
    expect((await raw("PUT", `/${B}/xml?tagging`, "<Tagging>")).code).toBe("MalformedXML");
    expect((await raw("PUT", `/${B}/xml?tagging`, "")).code).toBe("MalformedXML");
    const got = await raw("GET", `/${B}/xml?tagging`);
    expect(got.text).toContain('<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>');
  });
});

describe("limits", () => {
  beforeAll(() => s3.send(new PutObjectCommand({ Bucket: B, Key: "limits", Body: "x" })));

  it("accepts 10 tags with 128-character keys and 256-character values", async () => {
    const tags = Array.from({ length: 10 }, (_, i) => ({ Key: `${i}`.padEnd(128, "k"), Value: "v".repeat(256) }));
    await putTags(B, "limits", tags);
    expect(await tagsOf(B, "limits")).toEqual(tags);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "limits-header", Body: "x", Tagging: header(many(10)) }));
    expect(await tagsOf(B, "limits-header")).toHaveLength(10);
  });

  it.each([
    ["11 tags", "BadRequest", tagSet(many(11))],
    ["a 129-character key", "InvalidTag", [{ Key: "k".repeat(129), Value: "v" }]],
    ["a 257-character value", "InvalidTag", [{ Key: "k", Value: "v".repeat(257) }]],
    ["an empty key", "InvalidTag", [{ Key: "", Value: "v" }]],
    [
      "duplicate keys",
      "InvalidTag",
      [
        { Key: "k", Value: "1" },
        { Key: "k", Value: "2" },
      ],
    ],
    ["a key with ;", "InvalidTag", [{ Key: "semi;colon", Value: "v" }]],
    ["a value with #", "InvalidTag", [{ Key: "k", Value: "#1" }]],
    ["an aws: key", "InvalidTag", [{ Key: "aws:createdBy", Value: "me" }]],
  ])("PutObjectTagging refuses %s with %s and keeps the old tags", async (_what, code, tags) => {
    await putTags(B, "limits", tagSet({ keep: "me" }));
    await expect(putTags(B, "limits", tags)).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
    expect(await tagsOf(B, "limits")).toEqual(tagSet({ keep: "me" }));
  });

  it.each([
    ["11 tags", "BadRequest", header(many(11))],
    ["a 129-character key", "InvalidTag", header({ ["k".repeat(129)]: "v" })],
    ["a bad character", "InvalidTag", "k=a%26b%3Bc"],
    ["a duplicate key", "InvalidArgument", "a=1&a=2"],
    ["a second =", "InvalidArgument", "a=1=2"],
  ])("PutObject with %s in x-amz-tagging is %s and stores nothing", async (_what, code, Tagging) => {
    const blobsBefore = (await r2Keys(h.mf)).length;
    await expect(s3.send(new PutObjectCommand({ Bucket: B, Key: "refused", Body: "x", Tagging }))).rejects.toMatchObject({
      name: code,
      $metadata: { httpStatusCode: 400 },
    });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "refused" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await r2Keys(h.mf)).length).toBe(blobsBefore);
  });
});

describe("x-amz-tagging on writes", () => {
  it("PutObject stores the header's tags (form-encoded, in order)", async () => {
    const tags = { "team name": "data and ml", stage: "prod", "path/like": "a+b=c", empty: "" };
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "hdr", Body: "x", Tagging: header(tags) }));
    expect(await tagsOf(B, "hdr")).toEqual(tagSet(tags));
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "hdr" }))).TagCount).toBe(4);
    // An overwrite without the header drops the tags: they belong to the replaced version.
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "hdr", Body: "y" }));
    expect(await tagsOf(B, "hdr")).toEqual([]);
  });

  it("CreateMultipartUpload validates the header and CompleteMultipartUpload applies it", async () => {
    await expect(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp-bad", Tagging: "aws%3Ax=1" }))).rejects.toMatchObject({
      name: "InvalidTag",
      $metadata: { httpStatusCode: 400 },
    });
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads ?? []).toEqual([]);

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp", Tagging: header({ source: "multipart", n: "2" }) }));
    const part = await s3.send(new UploadPartCommand({ Bucket: B, Key: "mp", UploadId, PartNumber: 1, Body: "only part" }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: "mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(await tagsOf(B, "mp")).toEqual(tagSet({ source: "multipart", n: "2" }));
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "mp" }))).TagCount).toBe(2);
  });

  it("CopyObject copies the source's tags by default and replaces them with x-amz-tagging-directive REPLACE", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "cp-src", Body: "x", Tagging: header({ origin: "source", k: "v" }) }));
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "cp-default", CopySource: `${B}/cp-src` }));
    expect(await tagsOf(B, "cp-default")).toEqual(tagSet({ origin: "source", k: "v" }));
    // COPY ignores a tagging header.
    await s3.send(
      new CopyObjectCommand({ Bucket: B, Key: "cp-copy", CopySource: `${B}/cp-src`, TaggingDirective: "COPY", Tagging: header({ ignored: "yes" }) }),
    );
    expect(await tagsOf(B, "cp-copy")).toEqual(tagSet({ origin: "source", k: "v" }));
    await s3.send(
      new CopyObjectCommand({ Bucket: B, Key: "cp-replace", CopySource: `${B}/cp-src`, TaggingDirective: "REPLACE", Tagging: header({ fresh: "tags" }) }),
    );
    expect(await tagsOf(B, "cp-replace")).toEqual(tagSet({ fresh: "tags" }));
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "cp-replace" }))).TagCount).toBe(1);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "cp-none", CopySource: `${B}/cp-src`, TaggingDirective: "REPLACE" }));
    expect(await tagsOf(B, "cp-none")).toEqual([]);
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: B, Key: "cp-bad", CopySource: `${B}/cp-src`, TaggingDirective: "REPLACE", Tagging: header(many(11)) })),
    ).rejects.toMatchObject({ name: "BadRequest" });
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: B, Key: "cp-bad", CopySource: `${B}/cp-src`, TaggingDirective: "MERGE" as never })),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "cp-bad" }))).Contents).toBeUndefined();
  });
});

describe("tags of versions", () => {
  it("belong to one version; versionId selects it; delete markers have none", async () => {
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: V, Key: "doc", Body: "1", Tagging: "rev=1" }))).VersionId!;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: V, Key: "doc", Body: "2", Tagging: "rev=2" }))).VersionId!;
    expect(await tagsOf(V, "doc")).toEqual(tagSet({ rev: "2" }));
    expect(await tagsOf(V, "doc", v1)).toEqual(tagSet({ rev: "1" }));
    const got = await s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: "doc" }));
    expect(got.VersionId).toBe(v2);

    const put = await putTags(V, "doc", tagSet({ rev: "1", reviewed: "yes" }), v1);
    expect(put.VersionId).toBe(v1);
    expect(await tagsOf(V, "doc", v1)).toEqual(tagSet({ rev: "1", reviewed: "yes" }));
    expect(await tagsOf(V, "doc")).toEqual(tagSet({ rev: "2" }));
    expect((await s3.send(new GetObjectCommand({ Bucket: V, Key: "doc", VersionId: v1 }))).TagCount).toBe(2);

    const del = await s3.send(new DeleteObjectTaggingCommand({ Bucket: V, Key: "doc", VersionId: v1 }));
    expect(del.VersionId).toBe(v1);
    expect(await tagsOf(V, "doc", v1)).toEqual([]);
    expect(await tagsOf(V, "doc")).toEqual(tagSet({ rev: "2" }));

    await expect(s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: "doc", VersionId: "NoSuchVersion0" }))).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });

    const marker = (await s3.send(new DeleteObjectCommand({ Bucket: V, Key: "doc" }))).VersionId!;
    await expect(s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: "doc" }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectTaggingCommand({ Bucket: V, Key: "doc", VersionId: marker }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 405 },
    });
    await expect(putTags(V, "doc", tagSet({ a: "1" }), marker)).rejects.toMatchObject({ $metadata: { httpStatusCode: 405 } });
    // Noncurrent versions stay taggable.
    await putTags(V, "doc", tagSet({ archived: "true" }), v2);
    expect(await tagsOf(V, "doc", v2)).toEqual(tagSet({ archived: "true" }));
  });

  it("a versioned copy source carries its own version's tags", async () => {
    const old = (await s3.send(new PutObjectCommand({ Bucket: V, Key: "src", Body: "old", Tagging: "era=old" }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket: V, Key: "src", Body: "new", Tagging: "era=new" }));
    await s3.send(new CopyObjectCommand({ Bucket: V, Key: "dst", CopySource: `${V}/src?versionId=${old}` }));
    expect(await tagsOf(V, "dst")).toEqual(tagSet({ era: "old" }));
  });
});

describe("bucket tagging", () => {
  const BT = "tagged-bucket";
  beforeAll(() => s3.send(new CreateBucketCommand({ Bucket: BT })));

  it("answers NoSuchTagSet until tags are put, and again after they are deleted", async () => {
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).rejects.toMatchObject({ name: "NoSuchTagSet", $metadata: { httpStatusCode: 404 } });
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: BT, Tagging: { TagSet: tagSet({ env: "prod", owner: "team a" }) } }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).TagSet).toEqual(tagSet({ env: "prod", owner: "team a" }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: BT, Tagging: { TagSet: tagSet({ env: "dev" }) } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).TagSet).toEqual(tagSet({ env: "dev" }));
    const del = await s3.send(new DeleteBucketTaggingCommand({ Bucket: BT }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).rejects.toMatchObject({ name: "NoSuchTagSet" });
    await s3.send(new PutBucketTaggingCommand({ Bucket: BT, Tagging: { TagSet: [] } }));
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).rejects.toMatchObject({ name: "NoSuchTagSet" });
  });

  it("allows 50 tags; refuses 51, duplicates and system tags", async () => {
    await s3.send(new PutBucketTaggingCommand({ Bucket: BT, Tagging: { TagSet: tagSet(many(50)) } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).TagSet).toHaveLength(50);
    const bad = (TagSet: Tag[]) => s3.send(new PutBucketTaggingCommand({ Bucket: BT, Tagging: { TagSet } }));
    await expect(bad(tagSet(many(51)))).rejects.toMatchObject({ name: "BadRequest", $metadata: { httpStatusCode: 400 } });
    await expect(
      bad([
        { Key: "a", Value: "1" },
        { Key: "a", Value: "2" },
      ]),
    ).rejects.toMatchObject({ name: "InvalidTag" });
    await expect(bad([{ Key: "aws:cloudformation:stack-name", Value: "x" }])).rejects.toMatchObject({ name: "InvalidTag" });
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: BT }))).TagSet).toHaveLength(50);
  });

  it("unknown buckets answer NoSuchBucket", async () => {
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: "no-such-tag-bucket" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
  });
});
