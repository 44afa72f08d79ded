/**
 * The SSE-C key reaches R2 on every path that reads or writes bytes. Local R2 ignores `ssecKey`,
 * so the Worker runs here behind test/unit/recording-r2-worker.ts, whose R2 bindings record the
 * key of each put/get (a test double of the R2 binding in front of the real local R2).
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import type { Miniflare } from "miniflare";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../e2e/harness";
import { startSosWorker } from "../support/worker";

type Call = { op: string; key: string; ssecKey: string | null };

const K = randomBytes(32);
const K2 = randomBytes(32);
const hex = (k: Buffer) => k.toString("hex");
const sse = (k: Buffer) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: k.toString("base64") });
const copySse = (k: Buffer) => ({ CopySourceSSECustomerAlgorithm: "AES256", CopySourceSSECustomerKey: k.toString("base64") });
const B = "keys";

let mf: Miniflare;
let url: string;
let s3: S3Client;

beforeAll(async () => {
  ({ mf, url } = await startSosWorker({
    entry: "test/unit/recording-r2-worker.ts",
    bindings: {
      SOS_ROOT_ACCESS_KEY: ROOT.accessKeyId,
      SOS_ROOT_SECRET_KEY: ROOT.secretAccessKey,
      SOS_MASTER_KEY: "ssec-test-master-key",
      SOS_REQUIRE_HTTPS_FOR_SSEC: "false",
    },
  }));
  s3 = new S3Client({ endpoint: url, region: "us-east-1", forcePathStyle: true, credentials: ROOT, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await r2Calls();
});
afterAll(async () => {
  s3?.destroy();
  await mf?.dispose();
});

async function r2Calls(): Promise<Call[]> {
  return (await (await fetch(`${url}/__r2-calls`)).json()) as Call[];
}

/** The put/get calls of one step, as [op, key] with the key hex, in order. */
async function keysUsed(): Promise<[string, string | null][]> {
  return (await r2Calls()).map((c) => [c.op, c.ssecKey]);
}

const body = async (r: { Body?: unknown }) => Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());

describe("the customer key travels to R2 as hex on", () => {
  const data = randomBytes(10_000);

  it("PutObject, GetObject (whole and ranged); HeadObject reads D1 only", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "o", Body: data, ...sse(K) }));
    expect(await keysUsed()).toEqual([["put", hex(K)]]);
    expect(Buffer.compare(await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: "o", ...sse(K) }))), data)).toBe(0);
    await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: "o", Range: "bytes=5-9", ...sse(K) })));
    expect(await keysUsed()).toEqual([
      ["get", hex(K)],
      ["get", hex(K)],
    ]);
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: "o", ...sse(K) }));
    expect(await keysUsed()).toEqual([]);
  });

  it("plain objects: no key at all (the recorder tells them apart)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "plain", Body: data }));
    await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: "plain" })));
    expect(await keysUsed()).toEqual([
      ["put", null],
      ["get", null],
    ]);
  });

  it("UploadPart, and every part of a completed multipart object on GET", async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp", ...sse(K) }));
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: B, Key: "mp", UploadId: up.UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 1), ...sse(K) }),
    );
    const p2 = await s3.send(new UploadPartCommand({ Bucket: B, Key: "mp", UploadId: up.UploadId, PartNumber: 2, Body: Buffer.from("tail"), ...sse(K) }));
    expect(await keysUsed()).toEqual([
      ["put", hex(K)],
      ["put", hex(K)],
    ]);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "mp",
        UploadId: up.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(await keysUsed()).toEqual([]);
    await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: "mp", ...sse(K) })));
    expect(await keysUsed()).toEqual([
      ["get", hex(K)],
      ["get", hex(K)],
    ]);
  });

  it("UploadPartCopy: source key to read, upload key to write; shared when they are the same", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "src2", Body: data, ...sse(K2) }));
    await keysUsed();
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mpc", ...sse(K) }));
    await s3.send(
      new UploadPartCopyCommand({ Bucket: B, Key: "mpc", UploadId: up.UploadId, PartNumber: 1, CopySource: `${B}/src2`, ...sse(K), ...copySse(K2) }),
    );
    expect(await keysUsed()).toEqual([
      ["get", hex(K2)],
      ["put", hex(K)],
    ]);
    await s3.send(new UploadPartCopyCommand({ Bucket: B, Key: "mpc", UploadId: up.UploadId, PartNumber: 2, CopySource: `${B}/o`, ...sse(K), ...copySse(K) }));
    expect(await keysUsed()).toEqual([]);
  });

  it("CopyObject: re-encrypts to a new key, decrypts to a plain copy, shares under the same key", async () => {
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c1", CopySource: `${B}/o`, ...copySse(K), ...sse(K2) }));
    expect(await keysUsed()).toEqual([
      ["get", hex(K)],
      ["put", hex(K2)],
    ]);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c2", CopySource: `${B}/o`, ...copySse(K) }));
    expect(await keysUsed()).toEqual([
      ["get", hex(K)],
      ["put", null],
    ]);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "c3", CopySource: `${B}/o`, ...copySse(K), ...sse(K) }));
    expect(await keysUsed()).toEqual([]);
    expect(Buffer.compare(await body(await s3.send(new GetObjectCommand({ Bucket: B, Key: "c1", ...sse(K2) }))), data)).toBe(0);
    expect(await keysUsed()).toEqual([["get", hex(K2)]]);
  });

  it("POST Object with SSE-C form fields", async () => {
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const credential = `${ROOT.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const fields: Record<string, string> = {
      key: "posted",
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": K.toString("base64"),
      "x-amz-server-side-encryption-customer-key-MD5": createHash("md5").update(K).digest("base64"),
      "x-amz-algorithm": "AWS4-HMAC-SHA256",
      "x-amz-credential": credential,
      "x-amz-date": amzDate,
    };
    fields.policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(Date.now() + 60_000).toISOString(),
        conditions: [{ bucket: B }, ...Object.entries(fields).map(([k, v]) => ({ [k]: v }))],
      }),
    ).toString("base64");
    let sk = createHmac("sha256", "AWS4" + ROOT.secretAccessKey)
      .update(amzDate.slice(0, 8))
      .digest();
    for (const p of ["us-east-1", "s3", "aws4_request"]) sk = createHmac("sha256", sk).update(p).digest();
    fields["x-amz-signature"] = createHmac("sha256", sk).update(fields.policy).digest("hex");
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([data]), "f.bin");
    const res = await fetch(`${url}/${B}`, { method: "POST", body: form });
    expect(res.status).toBe(204);
    expect(await keysUsed()).toEqual([["put", hex(K)]]);
  });
});
