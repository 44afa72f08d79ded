import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
const B = "listing";
const KEYS = ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "c/4.txt", "c/5.txt", "d.txt", "e/f/g/6.txt", "sp ace/7.txt", "ü/8.txt", "z"];

beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await Promise.all(KEYS.map((Key) => s3.send(new PutObjectCommand({ Bucket: B, Key, Body: Key }))));
});
afterAll(() => h?.dispose());

async function pageAllV2(params: { Prefix?: string; Delimiter?: string; MaxKeys: number; StartAfter?: string }) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: B, ...params, ContinuationToken: token }));
    keys.push(...(r.Contents ?? []).map((c) => c.Key!));
    prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
    expect(r.KeyCount).toBe((r.Contents?.length ?? 0) + (r.CommonPrefixes?.length ?? 0));
    expect(r.KeyCount).toBeLessThanOrEqual(params.MaxKeys);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
    pages++;
  } while (token && pages < 100);
  return { keys, prefixes, pages };
}

describe("ListObjectsV2", () => {
  it("lists every key once in UTF-8 binary order across pages of every size", async () => {
    for (const MaxKeys of [1, 2, 3, 5, 1000]) {
      const { keys, pages } = await pageAllV2({ MaxKeys });
      expect(keys).toEqual([...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(pages).toBe(Math.ceil(KEYS.length / MaxKeys));
    }
  });

  it("rolls keys up into CommonPrefixes with a delimiter, across pages, without repeats", async () => {
    for (const MaxKeys of [1, 2, 4, 1000]) {
      const { keys, prefixes } = await pageAllV2({ Delimiter: "/", MaxKeys });
      expect(keys).toEqual(["a.txt", "d.txt", "z"]);
      expect(prefixes).toEqual(["b/", "c/", "e/", "sp ace/", "ü/"]);
    }
  });

  it("combines prefix and delimiter", async () => {
    const { keys, prefixes } = await pageAllV2({ Prefix: "b/", Delimiter: "/", MaxKeys: 1 });
    expect(keys).toEqual(["b/1.txt", "b/2.txt"]);
    expect(prefixes).toEqual(["b/c/"]);
  });

  it("honours start-after, max-keys=0 and fetch-owner", async () => {
    const after = await s3.send(new ListObjectsV2Command({ Bucket: B, StartAfter: "c/5.txt" }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(["d.txt", "e/f/g/6.txt", "sp ace/7.txt", "z", "ü/8.txt"]);
    const zero = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 0 }));
    expect(zero.KeyCount).toBe(0);
    expect(zero.Contents).toBeUndefined();
    const noOwner = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 1 }));
    expect(noOwner.Contents?.[0].Owner).toBeUndefined();
    const owner = await s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 1, FetchOwner: true }));
    expect(owner.Contents?.[0].Owner?.DisplayName).toBe("root");
  });

  it("url-encodes keys and prefixes with encoding-type=url (the JS SDK hands them over still encoded)", async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: B, EncodingType: "url", Delimiter: "/" }));
    expect(r.EncodingType).toBe("url");
    expect(r.CommonPrefixes?.map((p) => p.Prefix)).toContain("sp+ace/");
  });

  it("rejects a bad continuation token and a bad max-keys", async () => {
    await expect(s3.send(new ListObjectsV2Command({ Bucket: B, ContinuationToken: "%%%not-a-token" }))).rejects.toMatchObject({
      name: "InvalidArgument",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(s3.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: -1 }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});

describe("ListObjects (v1)", () => {
  it("pages with marker and NextMarker under a delimiter", async () => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: B, Delimiter: "/", MaxKeys: 2, Marker: marker }));
      keys.push(...(r.Contents ?? []).map((c) => c.Key!));
      prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (!r.IsTruncated) break;
      expect(r.NextMarker).toBeTruthy();
      marker = r.NextMarker;
    }
    expect(keys).toEqual(["a.txt", "d.txt", "z"]);
    expect(prefixes).toEqual(["b/", "c/", "e/", "sp ace/", "ü/"]);
  });

  it("includes the owner and pages by the last key without a delimiter", async () => {
    const first = await s3.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 3 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.Contents?.[0].Owner?.DisplayName).toBe("root");
    const next = await s3.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 3, Marker: first.Contents![2].Key }));
    expect(next.Contents?.[0].Key).toBe("b/c/3.txt");
  });
});

describe("delimiter listings over many keys per prefix (reads seek past prefixes and grow)", () => {
  const BIG = "listing-big";
  const keys: string[] = [];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BIG }));
    // Rows go straight into D1: the walk only reads metadata, and 2,400 PUTs would be slow.
    for (let p = 0; p < 40; p++) for (let k = 0; k < 55; k++) keys.push(`d${String(p).padStart(2, "0")}/é${k}/x`);
    for (let k = 0; k < 20; k++) keys.push(`top-${k}`, `d07é${k}`);
    const db = await h.mf.getD1Database("DB");
    const bucket = await db.prepare("SELECT id, owner_id FROM buckets WHERE name = ?").bind(BIG).first<{ id: string; owner_id: string }>();
    const stmt = db.prepare(
      "INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, size, etag, last_modified, owner_id) VALUES (?, ?, ?, 'null', 1, 1, 0, 'd41d8cd98f00b204e9800998ecf8427e', 0, ?)",
    );
    await db.batch(keys.map((k, i) => stmt.bind(`row-${i}`, bucket!.id, k, bucket!.owner_id)));
  });

  function expected(prefix: string, delimiter: string) {
    const entries = new Set<string>();
    for (const k of keys.filter((k) => k.startsWith(prefix))) {
      const i = k.indexOf(delimiter, prefix.length);
      entries.add(i >= 0 ? k.slice(0, i + delimiter.length) : k);
    }
    return [...entries].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  it.each([
    ["", "/", 1],
    ["", "/", 7],
    ["", "/", 1000],
    ["d07", "é", 3],
    ["d1", "/", 4],
    ["", "é", 1000],
  ])("prefix %j delimiter %j max-keys %i pages through every entry once", async (Prefix, Delimiter, MaxKeys) => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 500; i++) {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: BIG, Prefix, Delimiter, MaxKeys, ContinuationToken: token }));
      const page = [...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((c) => c.Prefix!)];
      page.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      seen.push(...page);
      expect(page.length).toBeLessThanOrEqual(MaxKeys);
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    expect(seen).toEqual(expected(Prefix, Delimiter));
  });
});
