import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, r2Keys, runCron, startWorker, streamToBuffer, type Harness } from "./harness";

let h: Harness;
const B = "objects";
beforeAll(async () => {
  h = await startWorker();
  await h.client().send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");

async function keysIn(bucket: string): Promise<string[]> {
  const r = await h.client().send(new ListObjectsV2Command({ Bucket: bucket }));
  return (r.Contents ?? []).map((c) => c.Key!);
}

describe("objects", () => {
  it("round-trips bytes, metadata and content headers; ETag is the MD5", async () => {
    const s3 = h.client();
    const body = randomBytes(100_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "dir/file.bin",
        Body: body,
        ContentType: "application/x-test",
        ContentDisposition: 'attachment; filename="f.bin"',
        ContentLanguage: "de",
        CacheControl: "max-age=60",
        Metadata: { color: "blue", "Mixed-Case": "Value" },
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "dir/file.bin" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), body)).toBe(0);
    expect(got.ContentType).toBe("application/x-test");
    expect(got.ContentDisposition).toBe('attachment; filename="f.bin"');
    expect(got.ContentLanguage).toBe("de");
    expect(got.CacheControl).toBe("max-age=60");
    expect(got.Metadata).toEqual({ color: "blue", "mixed-case": "Value" });
    expect(got.ContentLength).toBe(100_000);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "dir/file.bin" }));
    expect(head.ETag).toBe(put.ETag);
    expect(head.ContentLength).toBe(100_000);
  });

  it("streams an aws-chunked upload with a trailing CRC32 (SDK default for streams) and returns the checksum", async () => {
    const s3 = h.client();
    const body = randomBytes(300_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "streamed",
        Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
        ContentLength: body.length,
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(put.ChecksumCRC32).toBeTruthy();
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "streamed", ChecksumMode: "ENABLED" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), body)).toBe(0);
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
  });

  it.each(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const)("verifies and stores %s checksums", async (algo) => {
    const s3 = h.client();
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: `sum-${algo}`, Body: "checksummed body", ChecksumAlgorithm: algo }));
    const field = `Checksum${algo}` as const;
    expect(put[field]).toBeTruthy();
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: `sum-${algo}`, ChecksumMode: "ENABLED" }));
    expect(head[field]).toBe(put[field]);
  });

  it("serves ranges: closed, open, suffix; 416 when unsatisfiable", async () => {
    const s3 = h.client();
    const body = Buffer.from("0123456789abcdefghij");
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "range", Body: body }));
    const get = async (Range: string) => {
      const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: "range", Range }));
      return { text: (await streamToBuffer(r.Body)).toString(), range: r.ContentRange, status: r.$metadata.httpStatusCode };
    };
    expect(await get("bytes=2-5")).toEqual({ text: "2345", range: "bytes 2-5/20", status: 206 });
    expect(await get("bytes=15-")).toEqual({ text: "fghij", range: "bytes 15-19/20", status: 206 });
    expect(await get("bytes=-3")).toEqual({ text: "hij", range: "bytes 17-19/20", status: 206 });
    expect(await get("bytes=10-999")).toEqual({ text: "abcdefghij", range: "bytes 10-19/20", status: 206 });
    await expect(get("bytes=20-")).rejects.toMatchObject({ name: "InvalidRange", $metadata: { httpStatusCode: 416 } });
  });

  it("answers conditionals with 304 and 412", async () => {
    const s3 = h.client();
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "cond", Body: "v1" }));
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfNoneMatch: put.ETag }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 304 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfMatch: '"nope"' }))).rejects.toMatchObject({
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    const future = new Date(Date.now() + 3600_000);
    const past = new Date(Date.now() - 3600_000);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfModifiedSince: future }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 304 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfUnmodifiedSince: past }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    const ok = await s3.send(new GetObjectCommand({ Bucket: B, Key: "cond", IfMatch: put.ETag, IfModifiedSince: past }));
    expect((await streamToBuffer(ok.Body)).toString()).toBe("v1");
  });

  it("applies response-* overrides on signed GETs", async () => {
    const s3 = h.client();
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "override", Body: "x", ContentType: "text/plain" }));
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: B,
        Key: "override",
        ResponseContentType: "application/json",
        ResponseContentDisposition: "inline",
        ResponseCacheControl: "no-store",
      }),
    );
    expect(got.ContentType).toBe("application/json");
    expect(got.ContentDisposition).toBe("inline");
    expect(got.CacheControl).toBe("no-store");
  });

  it("conditional create with If-None-Match: * refuses to overwrite", async () => {
    const s3 = h.client();
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "once", Body: "first", IfNoneMatch: "*" }));
    await expect(s3.send(new PutObjectCommand({ Bucket: B, Key: "once", Body: "second", IfNoneMatch: "*" }))).rejects.toMatchObject({
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "once" }));
    expect((await streamToBuffer(got.Body)).toString()).toBe("first");
  });

  it("keeps exact keys: unicode, spaces, plus, percent, tilde, 1024 bytes", async () => {
    const s3 = h.client();
    const keys = ["sp ace/and+plus", "unicodé/日本語/🙂", "per%cent~tilde", "a//double", "é".repeat(512)];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: B, Key, Body: Key }));
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: B, Key }));
      expect((await streamToBuffer(got.Body)).toString()).toBe(Key);
    }
    const listed = await keysIn(B);
    for (const Key of keys) expect(listed).toContain(Key);
  });

  it("deletes objects and answers NoSuchKey afterwards; deleting a missing key is a 204", async () => {
    const s3 = h.client();
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "doomed", Body: "x" }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "doomed" }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "doomed" }))).rejects.toMatchObject({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "doomed" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "never-there" }))).$metadata.httpStatusCode).toBe(204);
  });
});

describe("bad input leaves no trace", () => {
  const BT = "no-trace";
  beforeAll(async () => {
    await h.client().send(new CreateBucketCommand({ Bucket: BT }));
  });

  async function expectUnchanged(run: () => Promise<unknown>, error: { name: string; status: number }) {
    const before = await keysIn(BT);
    const blobsBefore = await r2Keys(h.mf);
    const usageBefore = (await h.admin("GET", `/_admin/usage?bucket=${BT}`)).json;
    await expect(run()).rejects.toMatchObject({ name: error.name, $metadata: { httpStatusCode: error.status } });
    await runCron(h);
    expect(await keysIn(BT)).toEqual(before);
    expect(await r2Keys(h.mf)).toEqual(blobsBefore);
    expect((await h.admin("GET", `/_admin/usage?bucket=${BT}`)).json).toEqual(usageBefore);
  }

  it("wrong Content-MD5 is BadDigest", async () => {
    const s3 = h.client();
    await expectUnchanged(
      () =>
        s3.send(
          new PutObjectCommand({
            Bucket: BT,
            Key: "bad-md5",
            Body: "hello",
            ContentMD5: Buffer.from(createHash("md5").update("other").digest()).toString("base64"),
          }),
        ),
      { name: "BadDigest", status: 400 },
    );
  });

  it("malformed Content-MD5 is InvalidDigest", async () => {
    await expectUnchanged(() => h.client().send(new PutObjectCommand({ Bucket: BT, Key: "bad-md5", Body: "hello", ContentMD5: "notbase64!" })), {
      name: "InvalidDigest",
      status: 400,
    });
  });

  it("wrong x-amz-checksum-crc32 is BadDigest", async () => {
    await expectUnchanged(() => h.client().send(new PutObjectCommand({ Bucket: BT, Key: "bad-crc", Body: "hello", ChecksumCRC32: "AAAAAA==" })), {
      name: "BadDigest",
      status: 400,
    });
  });

  it("a key over 1024 bytes is KeyTooLongError", async () => {
    await expectUnchanged(() => h.client().send(new PutObjectCommand({ Bucket: BT, Key: "k".repeat(1025), Body: "x" })), {
      name: "KeyTooLongError",
      status: 400,
    });
  });

  it("user metadata over 2 KiB is MetadataTooLarge", async () => {
    await expectUnchanged(() => h.client().send(new PutObjectCommand({ Bucket: BT, Key: "meta", Body: "x", Metadata: { big: "v".repeat(2100) } })), {
      name: "MetadataTooLarge",
      status: 400,
    });
  });

  it("unknown bucket and key answer NoSuchBucket / NoSuchKey", async () => {
    const s3 = h.client();
    await expect(s3.send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "k", Body: "x" }))).rejects.toMatchObject({
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectCommand({ Bucket: BT, Key: "missing" }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("overwrites and deletes free the superseded bytes once cleanup has run", async () => {
    const s3 = h.client();
    for (let i = 0; i < 3; i++) await s3.send(new PutObjectCommand({ Bucket: BT, Key: "rewritten", Body: `v${i}` }));
    await s3.send(new DeleteObjectCommand({ Bucket: BT, Key: "rewritten" }));
    await runCron(h);
    const zoneKeys = await r2Keys(h.mf);
    const bucketRow = await (await h.mf.getD1Database("DB")).prepare("SELECT id FROM buckets WHERE name = ?").bind(BT).first<{ id: string }>();
    const live = await (await h.mf.getD1Database("DB"))
      .prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ?")
      .bind(bucketRow!.id)
      .first<{ n: number }>();
    expect(zoneKeys.filter((k) => k.startsWith(bucketRow!.id + "/")).length).toBe(live!.n);
  });
});

describe("a write racing the deletion of its bucket", () => {
  it("fails with NoSuchBucket at commit and leaves no rows or bytes behind", async () => {
    const s3 = h.client();
    await s3.send(new CreateBucketCommand({ Bucket: "racing" }));
    // Warm this isolate's bucket cache, then delete the bucket behind its back, as a DeleteBucket
    // served by another isolate would: the next PUT still sees the stale bucket row.
    await s3.send(new HeadBucketCommand({ Bucket: "racing" }));
    const db = await h.mf.getD1Database("DB");
    const row = await db.prepare("SELECT id FROM buckets WHERE name = 'racing'").first<{ id: string }>();
    await db.prepare("DELETE FROM buckets WHERE id = ?").bind(row!.id).run();
    await expect(s3.send(new PutObjectCommand({ Bucket: "racing", Key: "orphan?", Body: "x".repeat(1000) }))).rejects.toMatchObject({
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
    await runCron(h);
    const rows = await db.prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ?").bind(row!.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    expect((await r2Keys(h.mf)).filter((k) => k.startsWith(`${row!.id}/`))).toEqual([]);
  });
});

describe("stored bytes under Accept-Encoding: gzip", () => {
  // Signed with aws4fetch, sent with node:http: fetch() would decompress a gzip body and hide what was sent.
  async function raw(method: "GET" | "HEAD", key: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const signed = await new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 }).sign(`${h.url}/${B}/${key}`, {
      method,
      headers: { "accept-encoding": "gzip" },
    });
    return new Promise((resolve, reject) => {
      const req = httpRequest(signed.url, { method, headers: Object.fromEntries(signed.headers) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  }
  const text = Buffer.from("compressible text, line after line\n".repeat(2000));
  // KNOWN FAILURE (it.fails): Miniflare's entry worker (ensureAcceptableEncoding, emulating Cloudflare's front line) gzips
  // every 200/404 answer of a compressible or missing Content-Type that carries no Content-Encoding when the client accepts
  // gzip, whatever the Worker sets (encodeBody "manual" and Cache-Control: no-transform do not stop it; only a
  // Content-Encoding other than gzip/br does, which the client would then see). Flip these to it() once that is solved.

  it.fails("returns an object stored without Content-Encoding as stored: no Content-Encoding, the exact bytes and length", async () => {
    await h.client().send(new PutObjectCommand({ Bucket: B, Key: "plain.txt", Body: text, ContentType: "text/plain" }));
    const got = await raw("GET", "plain.txt");
    expect(got.status).toBe(200);
    expect(got.headers["content-encoding"]).toBeUndefined();
    expect(got.headers["content-length"]).toBe(String(text.length));
    expect(md5(got.body)).toBe(md5(text));
    const head = await raw("HEAD", "plain.txt");
    expect(head.status).toBe(200);
    expect(head.headers["content-encoding"]).toBeUndefined();
    expect(head.headers["content-length"]).toBe(String(text.length));
  });

  it("returns an object stored with Content-Encoding: gzip with exactly that header and its stored bytes", async () => {
    const gz = gzipSync(text);
    await h.client().send(new PutObjectCommand({ Bucket: B, Key: "packed.txt", Body: gz, ContentType: "text/plain", ContentEncoding: "gzip" }));
    const got = await raw("GET", "packed.txt");
    expect(got.status).toBe(200);
    expect(got.headers["content-encoding"]).toBe("gzip");
    expect(got.headers["content-length"]).toBe(String(gz.length));
    expect(md5(got.body)).toBe(md5(gz));
    const head = await raw("HEAD", "packed.txt");
    expect(head.headers["content-encoding"]).toBe("gzip");
    expect(head.headers["content-length"]).toBe(String(gz.length));
  });

  it.fails("answers an error as plain XML, not re-encoded", async () => {
    const got = await raw("GET", "no-such-key.txt");
    expect(got.status).toBe(404);
    expect(got.headers["content-encoding"]).toBeUndefined();
    expect(got.body.toString("utf8")).toContain("<Code>NoSuchKey</Code>");
  });
});
