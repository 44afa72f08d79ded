/**
 * SSE-C through the AWS SDK and raw signed requests: every rule S3 applies to customer keys on
 * PutObject, GetObject, HeadObject, multipart uploads and copies. Local R2 does not encrypt, so
 * these prove the S3 semantics; test/unit/ssec-r2-key.test.ts proves the key reaches R2.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, startWorker, streamToBuffer, type Harness } from "./harness";

const B = "ssec";
const KEY = randomBytes(32);
const KEY2 = randomBytes(32);
const b64 = (b: Buffer) => b.toString("base64");
const md5b64 = (b: Buffer) => createHash("md5").update(b).digest("base64");
const sse = (key: Buffer) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: b64(key) });
const copySse = (key: Buffer) => ({ CopySourceSSECustomerAlgorithm: "AES256", CopySourceSSECustomerKey: b64(key) });
const headersFor = (key: Buffer, prefix = "x-amz-server-side-encryption-customer-") => ({
  [`${prefix}algorithm`]: "AES256",
  [`${prefix}key`]: b64(key),
  [`${prefix}key-MD5`]: md5b64(key),
});

let h: Harness;
let s3: S3Client;
let raw: AwsClient;

beforeAll(async () => {
  h = await startWorker({ SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  s3 = h.client();
  raw = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

/** Status, code and message of a failed SDK call. */
async function failure(p: Promise<unknown>): Promise<{ status: number | undefined; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { $metadata?: { httpStatusCode?: number }; Code?: string; name: string; message: string };
    return { status: err.$metadata?.httpStatusCode, code: err.Code ?? err.name, message: err.message };
  }
  throw new Error("expected the request to fail");
}

async function rawFetch(
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<{ status: number; code: string; message: string; headers: Headers }> {
  const res = await raw.fetch(`${h.url}/${path}`, init);
  const text = await res.text();
  return {
    status: res.status,
    code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? "",
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "",
    headers: res.headers,
  };
}

const NEEDS_KEY = "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.";

describe("PutObject, GetObject and HeadObject with SSE-C", () => {
  const body = randomBytes(70_000);

  beforeAll(async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "secret", Body: body, ...sse(KEY) }));
    expect(put.SSECustomerAlgorithm).toBe("AES256");
    expect(put.SSECustomerKeyMD5).toBe(md5b64(KEY));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "plain", Body: "plain text" }));
  });

  it("reads the object back with its key, byte for byte, and echoes algorithm and key MD5", async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "secret", ...sse(KEY) }));
    expect(Buffer.compare(await streamToBuffer(got.Body), body)).toBe(0);
    expect(got.SSECustomerAlgorithm).toBe("AES256");
    expect(got.SSECustomerKeyMD5).toBe(md5b64(KEY));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "secret", ...sse(KEY) }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.SSECustomerKeyMD5).toBe(md5b64(KEY));
    const ranged = await s3.send(new GetObjectCommand({ Bucket: B, Key: "secret", Range: "bytes=100-199", ...sse(KEY) }));
    expect(Buffer.compare(await streamToBuffer(ranged.Body), body.subarray(100, 200))).toBe(0);
  });

  it("refuses a read without the key (400 InvalidRequest), GET and HEAD", async () => {
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "secret" })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: NEEDS_KEY,
    });
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "secret" })))).status).toBe(400);
  });

  it("refuses a read with the wrong key (403 AccessDenied), GET and HEAD", async () => {
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "secret", ...sse(KEY2) })))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "secret", ...sse(KEY2) })))).status).toBe(403);
  });

  it("refuses a key for an object that is not encrypted (400 InvalidRequest)", async () => {
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: "plain", ...sse(KEY) })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: "The encryption parameters are not applicable to this object.",
    });
  });

  it.each<[string, Record<string, string>, string, string]>([
    [
      "a 128-bit key",
      { ...headersFor(KEY), "x-amz-server-side-encryption-customer-key": b64(randomBytes(16)) },
      "InvalidArgument",
      "The secret key was invalid for the specified algorithm.",
    ],
    [
      "an MD5 that does not match",
      { ...headersFor(KEY), "x-amz-server-side-encryption-customer-key-MD5": md5b64(KEY2) },
      "InvalidArgument",
      "The calculated MD5 hash of the key did not match the hash that was provided.",
    ],
    [
      "no MD5",
      { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": b64(KEY) },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
    ],
    [
      "no key",
      { "x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key-MD5": md5b64(KEY) },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
    ],
    [
      "no algorithm",
      { "x-amz-server-side-encryption-customer-key": b64(KEY), "x-amz-server-side-encryption-customer-key-MD5": md5b64(KEY) },
      "InvalidArgument",
      "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
    ],
    [
      "AES128",
      { ...headersFor(KEY), "x-amz-server-side-encryption-customer-algorithm": "AES128" },
      "InvalidEncryptionAlgorithmError",
      "The encryption request you specified is not valid. The valid value is AES256.",
    ],
    [
      "SSE-S3 together with SSE-C",
      { ...headersFor(KEY), "x-amz-server-side-encryption": "AES256" },
      "InvalidArgument",
      "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
    ],
  ])("refuses a PUT with %s and stores nothing", async (_, headers, code, message) => {
    const before = (await r2Keys(h.mf)).sort();
    const r = await rawFetch(`${B}/refused`, { method: "PUT", body: "data", headers });
    expect(r).toMatchObject({ status: 400, code, message });
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "refused" })))).status).toBe(404);
    expect((await r2Keys(h.mf)).sort()).toEqual(before);
  });

  it("never echoes the key in an error response", async () => {
    const res = await raw.fetch(`${h.url}/${B}/secret`, { headers: { ...headersFor(KEY), "x-amz-server-side-encryption-customer-key-MD5": md5b64(KEY2) } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain(b64(KEY));
  });
});

describe("multipart uploads with SSE-C", () => {
  const part1 = randomBytes(5 * 1024 * 1024);
  const part2 = randomBytes(1234);
  const key = "mp-secret";
  let uploadId: string;

  beforeAll(async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key, ...sse(KEY) }));
    expect(created.SSECustomerKeyMD5).toBe(md5b64(KEY));
    uploadId = created.UploadId!;
  });

  it("requires the upload's key on every part, then reads the completed object with it", async () => {
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: 1, Body: part2 })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.",
    });
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: 1, Body: part2, ...sse(KEY2) })))).toMatchObject({
      status: 400,
      code: "InvalidArgument",
      message: "The provided encryption parameters did not match the ones used originally.",
    });
    const p1 = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: 1, Body: part1, ...sse(KEY) }));
    expect(p1.SSECustomerKeyMD5).toBe(md5b64(KEY));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: 2, Body: part2, ...sse(KEY) }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toMatch(/-2"$/);

    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, ...sse(KEY) }));
    expect(got.SSECustomerKeyMD5).toBe(md5b64(KEY));
    expect(Buffer.compare(await streamToBuffer(got.Body), Buffer.concat([part1, part2]))).toBe(0);
    const second = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, PartNumber: 2, ...sse(KEY) }));
    expect(Buffer.compare(await streamToBuffer(second.Body), part2)).toBe(0);
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: key })))).code).toBe("InvalidRequest");
    expect((await failure(s3.send(new GetObjectCommand({ Bucket: B, Key: key, ...sse(KEY2) })))).code).toBe("AccessDenied");
  });

  it("a part sent with a key to an upload created without one is refused", async () => {
    const plain = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp-plain" }));
    expect(
      (await failure(s3.send(new UploadPartCommand({ Bucket: B, Key: "mp-plain", UploadId: plain.UploadId, PartNumber: 1, Body: "x", ...sse(KEY) })))).code,
    ).toBe("InvalidArgument");
  });

  it("UploadPartCopy reads the source with its key and writes the part under the upload's key", async () => {
    const src = randomBytes(6 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "copy-src", Body: src, ...sse(KEY2) }));
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp-copied", ...sse(KEY) }));
    const base = { Bucket: B, Key: "mp-copied", UploadId: up.UploadId!, CopySource: `${B}/copy-src` };
    expect(await failure(s3.send(new UploadPartCopyCommand({ ...base, PartNumber: 1, ...sse(KEY) })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: NEEDS_KEY,
    });
    expect(await failure(s3.send(new UploadPartCopyCommand({ ...base, PartNumber: 1, ...sse(KEY), ...copySse(KEY) })))).toMatchObject({
      status: 403,
      code: "AccessDenied",
    });
    expect((await failure(s3.send(new UploadPartCopyCommand({ ...base, PartNumber: 1, ...copySse(KEY2) })))).code).toBe("InvalidRequest");
    const c1 = await s3.send(new UploadPartCopyCommand({ ...base, PartNumber: 1, ...sse(KEY), ...copySse(KEY2) }));
    expect(c1.SSECustomerKeyMD5).toBe(md5b64(KEY));
    const c2 = await s3.send(new UploadPartCopyCommand({ ...base, PartNumber: 2, CopySourceRange: "bytes=0-99", ...sse(KEY), ...copySse(KEY2) }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "mp-copied",
        UploadId: up.UploadId!,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: c1.CopyPartResult!.ETag },
            { PartNumber: 2, ETag: c2.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "mp-copied", ...sse(KEY) }));
    expect(Buffer.compare(await streamToBuffer(got.Body), Buffer.concat([src, src.subarray(0, 100)]))).toBe(0);
  });
});

describe("CopyObject with SSE-C", () => {
  const body = randomBytes(20_000);
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "c-src", Body: body, ...sse(KEY) }));
  });

  const read = async (key: string, k?: Buffer) => streamToBuffer((await s3.send(new GetObjectCommand({ Bucket: B, Key: key, ...(k ? sse(k) : {}) }))).Body);

  it("needs the source's key to read it: none is 400, a wrong one 403", async () => {
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-x", CopySource: `${B}/c-src` })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: NEEDS_KEY,
    });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-x", CopySource: `${B}/c-src`, ...copySse(KEY2) })))).toMatchObject({
      status: 403,
      code: "AccessDenied",
    });
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: B, Key: "c-x" })))).status).toBe(404);
  });

  it("decrypts into a plain copy, keeps the same key, or re-encrypts under a new key", async () => {
    const plain = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-plain", CopySource: `${B}/c-src`, ...copySse(KEY) }));
    expect(plain.SSECustomerKeyMD5).toBeUndefined();
    expect(Buffer.compare(await read("c-plain"), body)).toBe(0);

    const same = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-same", CopySource: `${B}/c-src`, ...copySse(KEY), ...sse(KEY) }));
    expect(same.SSECustomerKeyMD5).toBe(md5b64(KEY));
    expect(Buffer.compare(await read("c-same", KEY), body)).toBe(0);

    const other = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c-other", CopySource: `${B}/c-src`, ...copySse(KEY), ...sse(KEY2) }));
    expect(other.SSECustomerKeyMD5).toBe(md5b64(KEY2));
    expect(Buffer.compare(await read("c-other", KEY2), body)).toBe(0);
    expect((await failure(read("c-other", KEY))).status).toBe(403);

    await s3.send(new PutObjectCommand({ Bucket: B, Key: "p-src", Body: body }));
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "p-enc", CopySource: `${B}/p-src`, ...sse(KEY) }));
    expect((await failure(read("p-enc"))).status).toBe(400);
    expect(Buffer.compare(await read("p-enc", KEY), body)).toBe(0);
  });

  it("a copy onto itself may rotate the key, but not keep everything the same", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "rotate", Body: body, ...sse(KEY) }));
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: B, Key: "rotate", CopySource: `${B}/rotate`, ...copySse(KEY), ...sse(KEY) })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
    });
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "rotate", CopySource: `${B}/rotate`, ...copySse(KEY), ...sse(KEY2) }));
    expect(Buffer.compare(await read("rotate", KEY2), body)).toBe(0);
    expect((await failure(read("rotate", KEY))).status).toBe(403);
  });
});

it("D1 holds no key material: every table, every column", async () => {
  const db = await h.mf.getD1Database("DB");
  const tables = (
    await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>()
  ).results.map((r) => r.name);
  expect(tables).toEqual(expect.arrayContaining(["objects", "multipart_uploads", "upload_parts", "object_parts"]));
  let dump = "";
  for (const t of tables) dump += JSON.stringify((await db.prepare(`SELECT * FROM "${t}"`).all()).results);
  for (const k of [KEY, KEY2]) {
    for (const form of [b64(k), k.toString("hex"), k.toString("base64url"), k.toString("latin1")]) expect(dump).not.toContain(form);
  }
  // Only the MD5 is kept, and it is there: this is what answers the errors above.
  const md5s = (await db.prepare("SELECT DISTINCT ssec_key_md5 AS m FROM objects WHERE ssec_key_md5 IS NOT NULL").all<{ m: string }>()).results
    .map((r) => r.m)
    .sort();
  expect(md5s).toEqual([md5b64(KEY), md5b64(KEY2)].sort());
});

describe("a deployment that requires HTTPS for SSE-C (the default)", () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await startWorker();
  });
  afterAll(() => strict?.dispose());

  it("refuses SSE-C over plain HTTP, and still serves plain requests", async () => {
    const c = strict.client();
    await c.send(new CreateBucketCommand({ Bucket: "strict" }));
    expect(await failure(c.send(new PutObjectCommand({ Bucket: "strict", Key: "k", Body: "x", ...sse(KEY) })))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
      message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
    });
    expect((await failure(c.send(new HeadObjectCommand({ Bucket: "strict", Key: "k" })))).status).toBe(404);
    await c.send(new PutObjectCommand({ Bucket: "strict", Key: "k", Body: "x" }));
    expect((await failure(c.send(new GetObjectCommand({ Bucket: "strict", Key: "k", ...sse(KEY) })))).message).toMatch(/secure connection/);
  });
});
