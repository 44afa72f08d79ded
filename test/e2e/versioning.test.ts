/**
 * Versioning end to end through @aws-sdk/client-s3 (and a raw signer where the SDK hides headers
 * or element order): bucket state, version ids, delete markers, `null` versions, ListObjectVersions
 * paging, the 1000-versions limit, versioned copy sources, and the bytes R2 keeps.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, startWorker, streamToBuffer, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
});
afterAll(() => h?.dispose());

const signer = () => new AwsClient({ ...ROOT, service: "s3", region: "us-east-1" });

/** A signed request the SDK would not make, or whose raw answer we want to see. */
async function raw(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await signer().fetch(h.url + path, { method, body: init.body, headers: init.headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

async function bucket(name: string, status?: "Enabled" | "Suspended") {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  if (status) await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: status } }));
}

async function put(Bucket: string, Key: string, Body: string) {
  return s3.send(new PutObjectCommand({ Bucket, Key, Body }));
}

async function text(Bucket: string, Key: string, VersionId?: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
  return (await streamToBuffer(r.Body)).toString();
}

type Entry = { key: string; versionId: string; isLatest: boolean; deleteMarker: boolean };

/** One ListObjectVersions page, parsed from the raw XML so that the interleaving order is kept. */
async function versionsPage(Bucket: string, params: Record<string, string> = {}) {
  const r = await raw("GET", `/${Bucket}?versions&${new URLSearchParams(params)}`);
  expect(r.status).toBe(200);
  const entries: Entry[] = [];
  for (const m of r.text.matchAll(/<(Version|DeleteMarker)>(.*?)<\/\1>/g)) {
    const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(m[2])![1];
    entries.push({ key: field("Key"), versionId: field("VersionId"), isLatest: field("IsLatest") === "true", deleteMarker: m[1] === "DeleteMarker" });
  }
  const el = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(r.text)?.[1];
  return {
    entries,
    prefixes: [...r.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]),
    isTruncated: el("IsTruncated") === "true",
    nextKeyMarker: el("NextKeyMarker"),
    nextVersionIdMarker: el("NextVersionIdMarker"),
    xml: r.text,
  };
}

/** Every version of the bucket (or of keys under a prefix), in listing order. */
async function versionsOf(Bucket: string, Prefix = ""): Promise<Entry[]> {
  return (await versionsPage(Bucket, { prefix: Prefix })).entries;
}

const short = (es: Entry[]) => es.map((e) => `${e.key}@${e.versionId}${e.deleteMarker ? ":DM" : ""}${e.isLatest ? "*" : ""}`);

async function d1() {
  return h.mf.getD1Database("DB");
}

async function bucketId(name: string): Promise<string> {
  return (await (await d1()).prepare("SELECT id FROM buckets WHERE name = ?").bind(name).first<{ id: string }>())!.id;
}

/** Blob keys D1 still refers to for a bucket (object rows and multipart manifests). */
async function referencedBlobs(name: string): Promise<string[]> {
  const id = await bucketId(name);
  const { results } = await (await d1())
    .prepare(
      `SELECT blob_key FROM objects WHERE bucket_id = ?1 AND blob_key IS NOT NULL
       UNION SELECT p.blob_key FROM object_parts p JOIN objects o ON o.id = p.object_id WHERE o.bucket_id = ?1`,
    )
    .bind(id)
    .all<{ blob_key: string }>();
  return results.map((r) => r.blob_key).sort();
}

async function storedBlobs(name: string): Promise<string[]> {
  const id = await bucketId(name);
  return (await r2Keys(h.mf)).filter((k) => k.startsWith(id + "/")).sort();
}

describe("bucket versioning state", () => {
  it("a new bucket reports no Status; Enabled and Suspended are kept", async () => {
    await bucket("vstate");
    const fresh = await s3.send(new GetBucketVersioningCommand({ Bucket: "vstate" }));
    expect(fresh.Status).toBeUndefined();
    expect(fresh.MFADelete).toBeUndefined();
    expect((await raw("GET", "/vstate?versioning")).text).not.toContain("<Status>");
    for (const Status of ["Enabled", "Suspended", "Enabled"] as const) {
      await s3.send(new PutBucketVersioningCommand({ Bucket: "vstate", VersioningConfiguration: { Status } }));
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vstate" }))).Status).toBe(Status);
    }
  });

  it("refuses bad configurations as S3 does and keeps the state", async () => {
    const bad = (VersioningConfiguration: object) =>
      s3.send(new PutBucketVersioningCommand({ Bucket: "vstate", VersioningConfiguration: VersioningConfiguration as never }));
    await expect(bad({ Status: "Bogus" })).rejects.toMatchObject({ name: "MalformedXML", $metadata: { httpStatusCode: 400 } });
    await expect(bad({})).rejects.toMatchObject({ name: "IllegalVersioningConfigurationException", $metadata: { httpStatusCode: 400 } });
    await expect(bad({ Status: "Suspended", MFADelete: "Enabled" })).rejects.toMatchObject({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } });
    expect((await raw("PUT", "/vstate?versioning", { body: "this is not xml" })).code).toBe("MalformedXML");
    expect((await raw("PUT", "/vstate?versioning", { body: "" })).code).toBe("MalformedXML");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vstate" }))).Status).toBe("Enabled");
    // MfaDelete=Disabled is the state every bucket is in: accepted.
    await s3.send(new PutBucketVersioningCommand({ Bucket: "vstate", VersioningConfiguration: { Status: "Suspended", MFADelete: "Disabled" } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "vstate" }))).Status).toBe("Suspended");
  });

  it("unknown buckets answer NoSuchBucket", async () => {
    await expect(s3.send(new GetBucketVersioningCommand({ Bucket: "no-such-vbucket" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
  });
});

describe("never-versioned bucket", () => {
  beforeAll(() => bucket("plain"));

  it("writes the null version without version headers and deletes it without a marker", async () => {
    const p = await put("plain", "k", "one");
    expect(p.VersionId).toBeUndefined();
    await put("plain", "k", "two");
    expect((await s3.send(new HeadObjectCommand({ Bucket: "plain", Key: "k" }))).VersionId).toBeUndefined();
    expect(await text("plain", "k", "null")).toBe("two");
    expect(short(await versionsOf("plain"))).toEqual(["k@null*"]);
    const del = await s3.send(new DeleteObjectCommand({ Bucket: "plain", Key: "k" }));
    expect(del.DeleteMarker).toBeUndefined();
    expect(del.VersionId).toBeUndefined();
    expect(await versionsOf("plain")).toEqual([]);
  });

  it("answers NoSuchVersion for a well-formed unknown id and InvalidArgument for a malformed one", async () => {
    await put("plain", "k2", "x");
    await expect(s3.send(new GetObjectCommand({ Bucket: "plain", Key: "k2", VersionId: "Abc123" }))).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: "plain", Key: "k2", VersionId: "bad/id" }))).rejects.toMatchObject({
      name: "InvalidArgument",
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe("enabled bucket", () => {
  const B = "ver";
  let v: string[] = [];
  beforeAll(async () => {
    await bucket(B, "Enabled");
    v = [];
    for (const body of ["one", "two", "three"]) v.push((await put(B, "doc", body)).VersionId!);
  });

  it("gives every write its own version id, readable by id; the newest is current", async () => {
    expect(new Set(v).size).toBe(3);
    for (const id of v) expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await text(B, "doc", v[0])).toBe("one");
    expect(await text(B, "doc", v[1])).toBe("two");
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" }));
    expect(got.VersionId).toBe(v[2]);
    expect((await streamToBuffer(got.Body)).toString()).toBe("three");
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "doc", VersionId: v[0] }));
    expect(head.VersionId).toBe(v[0]);
    expect(head.ContentLength).toBe(3);
    expect(short(await versionsOf(B, "doc"))).toEqual([`doc@${v[2]}*`, `doc@${v[1]}`, `doc@${v[0]}`]);
  });

  it("a delete adds a marker: 404 with x-amz-delete-marker without versionId, 405 with it", async () => {
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc" }));
    expect(del.DeleteMarker).toBe(true);
    const marker = del.VersionId!;
    expect(marker).toBeTruthy();
    expect(v).not.toContain(marker);

    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc" }))).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    const get = await raw("GET", `/${B}/doc`);
    expect(get.status).toBe(404);
    expect(get.headers.get("x-amz-delete-marker")).toBe("true");
    expect(get.headers.get("x-amz-version-id")).toBe(marker);
    const byId = await raw("GET", `/${B}/doc?versionId=${marker}`);
    expect(byId.status).toBe(405);
    expect(byId.code).toBe("MethodNotAllowed");
    expect(byId.headers.get("x-amz-delete-marker")).toBe("true");
    expect(byId.headers.get("allow")).toBe("DELETE");
    expect(Date.parse(byId.headers.get("last-modified")!)).toBeGreaterThan(Date.now() - 600_000);
    expect((await raw("HEAD", `/${B}/doc`)).status).toBe(404);
    expect((await raw("HEAD", `/${B}/doc?versionId=${marker}`)).status).toBe(405);
    // Older versions stay readable by id.
    expect(await text(B, "doc", v[1])).toBe("two");

    expect(short(await versionsOf(B, "doc"))).toEqual([`doc@${marker}:DM*`, `doc@${v[2]}`, `doc@${v[1]}`, `doc@${v[0]}`]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(listed.Contents ?? []).toEqual([]);

    // Deleting the marker itself restores the newest version.
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: marker }));
    expect(undo.DeleteMarker).toBe(true);
    expect(undo.VersionId).toBe(marker);
    expect(await text(B, "doc")).toBe("three");
    expect(short(await versionsOf(B, "doc"))).toEqual([`doc@${v[2]}*`, `doc@${v[1]}`, `doc@${v[0]}`]);
  });

  it("deleting a version by id removes exactly it; the newest remaining becomes current", async () => {
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: v[2] }));
    expect(del.VersionId).toBe(v[2]);
    expect(del.DeleteMarker).toBeUndefined();
    expect(await text(B, "doc")).toBe("two");
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: v[0] }));
    expect(short(await versionsOf(B, "doc"))).toEqual([`doc@${v[1]}*`]);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "doc", VersionId: v[0] }))).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });
    // Deleting a version that is not there is a quiet success, as on S3.
    const again = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doc", VersionId: v[0] }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    expect(await text(B, "doc")).toBe("two");
  });

  it("the response headers of writes and reads carry the version id", async () => {
    const p = await raw("PUT", `/${B}/hdr`, { body: "x" });
    const id = p.headers.get("x-amz-version-id")!;
    expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await raw("GET", `/${B}/hdr`)).headers.get("x-amz-version-id")).toBe(id);
    expect((await raw("HEAD", `/${B}/hdr?versionId=${id}`)).headers.get("x-amz-version-id")).toBe(id);
    const d = await raw("DELETE", `/${B}/hdr`);
    expect(d.status).toBe(204);
    expect(d.headers.get("x-amz-delete-marker")).toBe("true");
    expect(d.headers.get("x-amz-version-id")).toMatch(/^[A-Za-z0-9]{32}$/);
  });
});

describe("suspended bucket: null version transitions", () => {
  const B = "susp";

  it("follows S3's null-version rules through every transition, and R2 keeps exactly the live blobs", async () => {
    await bucket(B);
    await put(B, "k", "n0"); // unversioned: the null version
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = (await put(B, "k", "v1")).VersionId!;
    expect(short(await versionsOf(B))).toEqual([`k@${v1}*`, "k@null"]);
    expect(await text(B, "k", "null")).toBe("n0");

    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Suspended" } }));
    const p = await put(B, "k", "n1"); // replaces the null version, keeps v1
    expect(p.VersionId).toBe("null");
    expect(short(await versionsOf(B))).toEqual(["k@null*", `k@${v1}`]);
    expect(await text(B, "k")).toBe("n1");
    expect(await text(B, "k", v1)).toBe("v1");

    const d = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" })); // a null delete marker replaces the null version
    expect(d).toMatchObject({ DeleteMarker: true, VersionId: "null" });
    expect(short(await versionsOf(B))).toEqual(["k@null:DM*", `k@${v1}`]);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "k" }))).rejects.toMatchObject({ name: "NoSuchKey" });

    await put(B, "k", "n2"); // replaces the null delete marker
    expect(short(await versionsOf(B))).toEqual(["k@null*", `k@${v1}`]);
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: "null" })); // removes the null marker: v1 is current again
    expect(undo).toMatchObject({ DeleteMarker: true, VersionId: "null" });
    expect(short(await versionsOf(B))).toEqual([`k@${v1}*`]);
    expect(await text(B, "k")).toBe("v1");

    // A key first written while suspended; and a null version that is not the latest.
    await put(B, "fresh", "f0");
    expect(short(await versionsOf(B, "fresh"))).toEqual(["fresh@null*"]);
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const v2 = (await put(B, "fresh", "f1")).VersionId!;
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Suspended" } }));
    await put(B, "fresh", "f2"); // the noncurrent null version is the one replaced
    expect(short(await versionsOf(B, "fresh"))).toEqual(["fresh@null*", `fresh@${v2}`]);
    expect(await text(B, "fresh", "null")).toBe("f2");

    await runCron(h);
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
    expect(await referencedBlobs(B)).toHaveLength(3); // k@v1, fresh@null, fresh@v2
  });
});

describe("concurrent writes to one key", () => {
  it("keeps every version and exactly one current one", async () => {
    const B = "hot";
    await bucket(B, "Enabled");
    const bodies = Array.from({ length: 20 }, (_, i) => `body-${i}`);
    const results = await Promise.all(bodies.map((body) => h.client().send(new PutObjectCommand({ Bucket: B, Key: "k", Body: body }))));
    const ids = results.map((r) => r.VersionId!);
    expect(new Set(ids).size).toBe(20);
    const listed = await versionsOf(B);
    expect(listed).toHaveLength(20);
    expect(new Set(listed.map((e) => e.versionId))).toEqual(new Set(ids));
    expect(listed.filter((e) => e.isLatest)).toHaveLength(1);
    expect(listed[0].isLatest).toBe(true);
    const current = await s3.send(new GetObjectCommand({ Bucket: B, Key: "k" }));
    expect(current.VersionId).toBe(listed[0].versionId);
    expect((await streamToBuffer(current.Body)).toString()).toBe(bodies[ids.indexOf(listed[0].versionId)]);
    const sdk = await s3.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect(sdk.Versions).toHaveLength(20);
    expect(sdk.Versions!.filter((x) => x.IsLatest)).toHaveLength(1);
  });

  it("concurrent deletes and writes never leave two current versions", async () => {
    const B = "hot2";
    await bucket(B, "Enabled");
    await put(B, "k", "seed");
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        i % 2
          ? h.client().send(new PutObjectCommand({ Bucket: B, Key: "k", Body: `b${i}` }))
          : h.client().send(new DeleteObjectCommand({ Bucket: B, Key: "k" })),
      ),
    );
    const listed = await versionsOf(B);
    expect(listed).toHaveLength(17);
    expect(listed.filter((e) => e.isLatest)).toHaveLength(1);
    expect(listed[0].isLatest).toBe(true);
  });
});

describe("ListObjectVersions", () => {
  const B = "lov";
  /** Expected listing, built from the writes below: keys in UTF-8 order, newest first. */
  const expected: Entry[] = [];
  beforeAll(async () => {
    await bucket(B, "Enabled");
    const written = new Map<string, Entry[]>();
    const record = (key: string, versionId: string, deleteMarker = false) =>
      written.set(key, [{ key, versionId, isLatest: false, deleteMarker }, ...(written.get(key) ?? [])]);
    for (const [key, n] of [
      ["a", 3],
      ["b/1", 2],
      ["b/2", 1],
      ["c", 1],
      ["d/e/f", 1],
      ["sp ace", 1],
      ["ü", 2],
      ["z", 1],
    ] as const) {
      for (let i = 0; i < n; i++) record(key, (await put(B, key, `${key}-${i}`)).VersionId!);
    }
    for (const key of ["b/1", "c"]) record(key, (await s3.send(new DeleteObjectCommand({ Bucket: B, Key: key }))).VersionId!, true);
    const keys = [...written.keys()].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    for (const k of keys) {
      const es = written.get(k)!;
      es[0].isLatest = true;
      expected.push(...es);
    }
  });

  async function pageAll(params: Record<string, string>, maxKeys: number) {
    const entries: Entry[] = [];
    const prefixes: string[] = [];
    let markers: Record<string, string> = {};
    let pages = 0;
    for (;;) {
      const page = await versionsPage(B, { ...params, "max-keys": String(maxKeys), ...markers });
      expect(page.entries.length + page.prefixes.length).toBeLessThanOrEqual(maxKeys);
      entries.push(...page.entries);
      prefixes.push(...page.prefixes);
      pages++;
      if (!page.isTruncated) {
        expect(page.nextKeyMarker).toBeUndefined();
        break;
      }
      expect(page.nextKeyMarker).toBeDefined();
      markers = { "key-marker": page.nextKeyMarker!, ...(page.nextVersionIdMarker ? { "version-id-marker": page.nextVersionIdMarker } : {}) };
      expect(pages).toBeLessThan(100);
    }
    return { entries, prefixes, pages };
  }

  it("lists versions and delete markers by key, newest first, each with IsLatest", async () => {
    expect(await versionsOf(B)).toEqual(expected);
    const sdk = await s3.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect(sdk.Versions).toHaveLength(expected.filter((e) => !e.deleteMarker).length);
    expect(sdk.DeleteMarkers?.map((d) => d.Key)).toEqual(["b/1", "c"]);
    expect(sdk.DeleteMarkers!.every((d) => d.IsLatest && d.Owner?.DisplayName === "root")).toBe(true);
    const v = sdk.Versions!.find((x) => x.Key === "a")!;
    expect(v).toMatchObject({ ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/), Size: 3, StorageClass: "STANDARD", Owner: { DisplayName: "root" } });
    expect(sdk.IsTruncated).toBe(false);
    expect(sdk.KeyMarker).toBe("");
    expect(sdk.MaxKeys).toBe(1000);
  });

  it("pages with NextKeyMarker / NextVersionIdMarker without repeating or skipping, at every page size", async () => {
    for (const maxKeys of [1, 2, 3, 5, 7, 1000]) {
      const { entries, pages } = await pageAll({}, maxKeys);
      expect(entries).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / maxKeys));
    }
  });

  it("pages through the SDK the way clients do", async () => {
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B, MaxKeys: 2, KeyMarker, VersionIdMarker }));
      seen.push(...[...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].map((x) => x.VersionId!));
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      VersionIdMarker = r.NextVersionIdMarker;
    }
    expect(seen.sort()).toEqual(expected.map((e) => e.versionId).sort());
  });

  it("rolls keys up into CommonPrefixes with a delimiter, across pages", async () => {
    const others = expected.filter((e) => !e.key.includes("/"));
    for (const maxKeys of [1, 2, 4, 1000]) {
      const { entries, prefixes } = await pageAll({ delimiter: "/" }, maxKeys);
      expect(entries).toEqual(others);
      expect(prefixes).toEqual(["b/", "d/"]);
    }
    const inB = await pageAll({ prefix: "b/", delimiter: "/" }, 1);
    expect(inB.entries).toEqual(expected.filter((e) => e.key.startsWith("b/")));
    expect(inB.prefixes).toEqual([]);
    const underD = await versionsPage(B, { prefix: "d/", delimiter: "/" });
    expect(underD.prefixes).toEqual(["d/e/"]);
  });

  it("starts after key-marker, or after version-id-marker within key-marker", async () => {
    const afterA = await versionsPage(B, { "key-marker": "a" });
    expect(afterA.entries).toEqual(expected.filter((e) => e.key !== "a"));
    const a = expected.filter((e) => e.key === "a");
    const within = await versionsPage(B, { "key-marker": "a", "version-id-marker": a[0].versionId, "max-keys": "2" });
    expect(within.entries).toEqual(a.slice(1, 3));
    expect(within.isTruncated).toBe(true);
    expect(within.nextKeyMarker).toBe("a");
    expect(within.nextVersionIdMarker).toBe(a[2].versionId);
    expect((await versionsPage(B, { "key-marker": "b/", delimiter: "/" })).prefixes).toEqual(["d/"]);
  });

  it("url-encodes keys and markers with encoding-type=url", async () => {
    const r = await versionsPage(B, { "encoding-type": "url", prefix: "s", "key-marker": "a" });
    expect(r.entries.map((e) => e.key)).toEqual(["sp+ace"]);
    expect(r.xml).toContain("<EncodingType>url</EncodingType>");
    const u = await versionsPage(B, { "encoding-type": "url", "key-marker": "z" });
    expect(u.entries.map((e) => e.key)).toEqual(["%C3%BC", "%C3%BC"]);
  });

  it("refuses bad markers and parameters", async () => {
    const bad = async (q: string) => (await raw("GET", `/${B}?versions&${q}`)).code;
    expect(await bad("version-id-marker=abc")).toBe("InvalidArgument");
    expect(await bad("key-marker=a&version-id-marker=")).toBe("InvalidArgument");
    expect(await bad("key-marker=a&version-id-marker=NoSuchVersionId123")).toBe("InvalidArgument");
    expect(await bad("key-marker=a&version-id-marker=bad%2Fid")).toBe("InvalidArgument");
    expect(await bad("max-keys=-1")).toBe("InvalidArgument");
    expect(await bad("encoding-type=base64")).toBe("InvalidArgument");
    const zero = await versionsPage(B, { "max-keys": "0" });
    expect(zero.entries).toEqual([]);
    expect(zero.isTruncated).toBe(false);
  });

  it("ListObjects and ListObjectsV2 show only current, live objects", async () => {
    const live = ["a", "b/2", "d/e/f", "sp ace", "z", "ü"];
    const v2 = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(v2.Contents?.map((c) => c.Key)).toEqual(live);
    expect(v2.KeyCount).toBe(live.length);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: B }));
    expect(v1.Contents?.map((c) => c.Key)).toEqual(live);
    const delimited = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: "/" }));
    expect(delimited.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["b/", "d/"]);
    expect(delimited.Contents?.map((c) => c.Key)).toEqual(["a", "sp ace", "z", "ü"]);
    // A prefix whose only key is hidden by a delete marker does not appear.
    const underB = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "b/" }));
    expect(underB.Contents?.map((c) => c.Key)).toEqual(["b/2"]);
    const paged: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 1, ContinuationToken }));
      paged.push(...(r.Contents ?? []).map((c) => c.Key!));
      ContinuationToken = r.NextContinuationToken;
    } while (ContinuationToken);
    expect(paged).toEqual(live);
    // The current version's ETag and size, not an older one's.
    const a = v2.Contents!.find((c) => c.Key === "a")!;
    expect(a.ETag).toBe((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "a" }))).ETag);
  });
});

describe("DeleteObjects with version ids", () => {
  it("reports DeleteMarker and DeleteMarkerVersionId as S3 does", async () => {
    const B = "dobj";
    await bucket(B, "Enabled");
    const k1a = (await put(B, "k1", "a")).VersionId!;
    const k1b = (await put(B, "k1", "b")).VersionId!;
    await put(B, "k2", "x");
    const m2 = (await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k2" }))).VersionId!;
    await put(B, "k3", "y");
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: B,
        Delete: {
          Objects: [
            { Key: "k1", VersionId: k1a },
            { Key: "k2", VersionId: m2 },
            { Key: "k3" },
            { Key: "k1", VersionId: "NoSuchVersion0" },
            { Key: "k1", VersionId: "bad/id" },
          ],
        },
      }),
    );
    expect(r.Deleted).toHaveLength(4);
    expect(r.Deleted![0]).toEqual({ Key: "k1", VersionId: k1a });
    expect(r.Deleted![1]).toEqual({ Key: "k2", VersionId: m2, DeleteMarker: true, DeleteMarkerVersionId: m2 });
    expect(r.Deleted![2]).toMatchObject({ Key: "k3", DeleteMarker: true, DeleteMarkerVersionId: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    expect(r.Deleted![2].VersionId).toBeUndefined();
    expect(r.Deleted![3]).toEqual({ Key: "k1", VersionId: "NoSuchVersion0" });
    expect(r.Errors).toEqual([{ Key: "k1", VersionId: "bad/id", Code: "InvalidArgument", Message: "Invalid version id specified" }]);
    expect(short(await versionsOf(B))).toEqual([
      `k1@${k1b}*`,
      `k2@${(await versionsOf(B, "k2"))[0].versionId}*`,
      `k3@${r.Deleted![2].DeleteMarkerVersionId}:DM*`,
      `k3@${(await versionsOf(B, "k3"))[1].versionId}`,
    ]);
    expect(await text(B, "k2")).toBe("x"); // its delete marker is gone
  });
});

describe("1000 versions per object", () => {
  /** Adds n noncurrent delete-marker rows to a key (seq below every real version), as if written long ago. */
  async function seed(name: string, key: string, n: number) {
    const id = await bucketId(name);
    const owner = (await (await d1()).prepare("SELECT owner_id FROM buckets WHERE id = ?").bind(id).first<{ owner_id: string }>())!.owner_id;
    await (await d1())
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?4)
         INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, is_delete_marker, last_modified, owner_id)
         SELECT lower(hex(randomblob(12))), ?1, ?2, 'seed' || i, i - ?4 - 1, 0, 1, 0, ?3 FROM n`,
      )
      .bind(id, key, owner, n)
      .run();
  }

  it("refuses the write that would make version 1001, never dropping an old one", async () => {
    const B = "limit";
    await bucket(B, "Enabled");
    const first = (await put(B, "k", "first")).VersionId!;
    await seed(B, "k", 998); // 999 versions
    const last = (await put(B, "k", "1000th")).VersionId!;
    await expect(put(B, "k", "1001st")).rejects.toMatchObject({ name: "TooManyVersions", $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }))).rejects.toMatchObject({ name: "TooManyVersions" });
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "k", CopySource: `${B}/k?versionId=${first}` }))).rejects.toMatchObject({
      name: "TooManyVersions",
    });
    const all = await versionsPage(B, {});
    expect(all.entries).toHaveLength(1000);
    expect(all.entries[0]).toMatchObject({ versionId: last, isLatest: true });
    expect(all.entries.some((e) => e.versionId === first)).toBe(true);
    expect(await text(B, "k")).toBe("1000th");
    // Deleting one version by id makes room again.
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: "seed1" }));
    await put(B, "k", "again");
    await runCron(h);
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
  });

  it("in a suspended bucket, replacing the null version is allowed at the limit; adding one is not", async () => {
    const B = "limit-susp";
    await bucket(B, "Suspended");
    await put(B, "k", "null-1");
    await seed(B, "k", 999); // 1000 versions, one of them null
    await put(B, "k", "null-2"); // replaces the null version: still 1000
    expect(await text(B, "k")).toBe("null-2");
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" })); // null marker replaces the null version
    expect(del).toMatchObject({ DeleteMarker: true, VersionId: "null" });
    expect((await versionsPage(B, {})).entries).toHaveLength(1000);

    await seed(B, "full", 1000); // 1000 versions, none null
    await expect(put(B, "full", "x")).rejects.toMatchObject({ name: "TooManyVersions", $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: B, Key: "full" }))).rejects.toMatchObject({ name: "TooManyVersions" });
    expect((await versionsPage(B, { prefix: "full" })).entries).toHaveLength(1000);
    await runCron(h);
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
  });
});

describe("versioned copy sources", () => {
  const B = "vcopy";
  let v1: string;
  let marker: string;
  beforeAll(async () => {
    await bucket(B, "Enabled");
    v1 = (await put(B, "src", "one")).VersionId!;
    await put(B, "src", "two");
    marker = (await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "src" }))).VersionId!;
  });

  it("CopyObject copies the named version and reports both version ids", async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "dst", CopySource: `${B}/src?versionId=${v1}` }));
    expect(r.CopySourceVersionId).toBe(v1);
    expect(r.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await text(B, "dst")).toBe("one");
    expect(await text(B, "dst", r.VersionId)).toBe("one");
  });

  it("a delete marker cannot be copied: NoSuchKey when current, InvalidRequest by id; unknown ids are NoSuchVersion", async () => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "dst2", CopySource: `${B}/src` }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "dst2", CopySource: `${B}/src?versionId=${marker}` }))).rejects.toMatchObject({
      name: "InvalidRequest",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "dst2", CopySource: `${B}/src?versionId=NoSuchVersion1` }))).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("UploadPartCopy reads the named version", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp" }));
    const part = await s3.send(new UploadPartCopyCommand({ Bucket: B, Key: "mp", UploadId, PartNumber: 1, CopySource: `${B}/src?versionId=${v1}` }));
    expect(part.CopySourceVersionId).toBe(v1);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: B, Key: "mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] } }),
    );
    expect(done.VersionId).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await text(B, "mp")).toBe("one");
  });

  it("UploadPartCopy racing an abort, or a delete of its source, never frees bytes something still uses", async () => {
    const v = (await put(B, "shared-src", "shared bytes")).VersionId!;
    for (let round = 0; round < 3; round++) {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: `race-${round}` }));
      const copies = Array.from({ length: 8 }, (_, i) =>
        h
          .client()
          .send(new UploadPartCopyCommand({ Bucket: B, Key: `race-${round}`, UploadId, PartNumber: i + 1, CopySource: `${B}/shared-src?versionId=${v}` }))
          .catch((e) => e),
      );
      const abort = h.client().send(new AbortMultipartUploadCommand({ Bucket: B, Key: `race-${round}`, UploadId }));
      await Promise.all([...copies, abort]);
      await runCron(h);
      expect(await text(B, "shared-src", v)).toBe("shared bytes");
    }
    // Source deleted while parts copy from it: each part either committed first (and keeps the blob alive) or fails.
    const src = (await put(B, "doomed-src", "doomed bytes")).VersionId!;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "race-src" }));
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        h
          .client()
          .send(new UploadPartCopyCommand({ Bucket: B, Key: "race-src", UploadId, PartNumber: i + 1, CopySource: `${B}/doomed-src?versionId=${src}` }))
          .catch((e) => e),
      ),
      h.client().send(new DeleteObjectCommand({ Bucket: B, Key: "doomed-src", VersionId: src })),
    ]);
    await runCron(h);
    const done = results
      .slice(0, 6)
      .map((r, i) => ({ r, n: i + 1 }))
      .filter(({ r }) => !(r instanceof Error));
    if (done.length) {
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: B,
          Key: "race-src",
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: done[0].n, ETag: done[0].r.CopyPartResult.ETag }] },
        }),
      );
      expect(await text(B, "race-src")).toBe("doomed bytes");
    }
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
  });
});

describe("storage of versions", () => {
  it("noncurrent versions keep their bytes; deleting versions frees them, but never a blob a copy still shares", async () => {
    const B = "vstore";
    await bucket(B, "Enabled");
    const v = [];
    for (const body of ["alpha", "beta", "gamma"]) v.push((await put(B, "k", body)).VersionId!);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "copy", CopySource: `${B}/k?versionId=${v[0]}` })); // shares alpha's blob
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp" }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: "mp", UploadId, PartNumber: 1, Body: big }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: "mp", UploadId, PartNumber: 2, Body: "tail" }));
    const mp = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "mp",
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    await put(B, "mp", "small"); // the multipart object becomes noncurrent

    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" })); // a marker frees nothing
    await runCron(h);
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
    expect(await storedBlobs(B)).toHaveLength(3 + 2 + 1); // k's three versions (copy shares one), mp's two parts, mp's current

    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: v[1] }));
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: v[0] })); // still shared by "copy"
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "mp", VersionId: mp.VersionId }));
    await runCron(h);
    expect(await storedBlobs(B)).toEqual(await referencedBlobs(B));
    expect(await storedBlobs(B)).toHaveLength(3); // gamma, alpha (via copy), small
    expect(await text(B, "copy")).toBe("alpha");
    expect(await text(B, "k", v[2])).toBe("gamma");

    // Deleting every version and marker empties the bucket completely.
    for (const e of await versionsOf(B)) await s3.send(new DeleteObjectCommand({ Bucket: B, Key: e.key, VersionId: e.versionId }));
    await runCron(h);
    expect(await storedBlobs(B)).toEqual([]);
    await s3.send(new DeleteBucketCommand({ Bucket: B }));
  });

  it("a bucket with only noncurrent versions or delete markers is not empty", async () => {
    const B = "vnotempty";
    await bucket(B, "Enabled");
    await put(B, "k", "x");
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
    await expect(s3.send(new DeleteBucketCommand({ Bucket: B }))).rejects.toMatchObject({ name: "BucketNotEmpty", $metadata: { httpStatusCode: 409 } });
  });
});

describe("ListObjectVersions with a delimiter over many versions per prefix (reads seek past prefixes and grow)", () => {
  const BIG = "versions-big";
  const rows: { key: string; seq: number }[] = [];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BIG }));
    // Rows go straight into D1: the walk only reads metadata.
    for (let p = 0; p < 30; p++) for (let k = 0; k < 12; k++) for (let v = 1; v <= 5; v++) rows.push({ key: `p${String(p).padStart(2, "0")}/k${k}`, seq: v });
    for (let k = 0; k < 15; k++) for (let v = 1; v <= 3; v++) rows.push({ key: `top${k}`, seq: v });
    const db = await h.mf.getD1Database("DB");
    const bucket = await db.prepare("SELECT id, owner_id FROM buckets WHERE name = ?").bind(BIG).first<{ id: string; owner_id: string }>();
    const stmt = db.prepare(
      "INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, size, etag, last_modified, owner_id) VALUES (?, ?, ?, ?, ?, ?, 0, 'd41d8cd98f00b204e9800998ecf8427e', 0, ?)",
    );
    await db.batch(
      rows.map((r, i) =>
        stmt.bind(`vrow-${i}`, bucket!.id, r.key, `v${r.seq}x${i}`, r.seq, r.seq === (r.key.startsWith("top") ? 3 : 5) ? 1 : 0, bucket!.owner_id),
      ),
    );
  });

  it.each([1, 4, 1000])("max-keys %i: every prefix and top-level version exactly once, in order", async (MaxKeys) => {
    const prefixes: string[] = [];
    const versions: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (let i = 0; i < 500; i++) {
      const r = await s3.send(new ListObjectVersionsCommand({ Bucket: BIG, Delimiter: "/", MaxKeys, KeyMarker, VersionIdMarker }));
      prefixes.push(...(r.CommonPrefixes ?? []).map((c) => c.Prefix!));
      versions.push(...(r.Versions ?? []).map((v) => `${v.Key}#${v.VersionId}`));
      if (!r.IsTruncated) break;
      KeyMarker = r.NextKeyMarker;
      VersionIdMarker = r.NextVersionIdMarker;
    }
    expect(prefixes).toEqual(Array.from({ length: 30 }, (_, p) => `p${String(p).padStart(2, "0")}/`));
    const top = rows
      .map((r, i) => ({ ...r, id: `v${r.seq}x${i}` }))
      .filter((r) => r.key.startsWith("top"))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.seq - a.seq))
      .map((r) => `${r.key}#${r.id}`);
    expect(versions).toEqual(top);
  });
});
