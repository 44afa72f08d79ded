/**
 * A client that dies partway through a body: the request's own body goes to R2 as it is (no copy
 * through a FixedLengthStream when nothing transforms it), so R2's refusal of a short stream is all
 * that stands between a cut-off upload and a stored object. Nothing may be left: no row, no blob.
 */
import net from "node:net";
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, snapshot } from "../support/snapshot";
import { ROOT, startWorker, type Harness } from "./harness";

const B = "truncated";
const DECLARED = 256 * 1024;
let h: Harness;
let s3: S3Client;
const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });

beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

/** Sends a signed PUT declaring DECLARED bytes, writes `sent` of them, then drops the connection. */
async function cutOffPut(path: string, sent: number): Promise<void> {
  const signed = await signer.sign(`${h.url}${path}`, {
    method: "PUT",
    headers: { "content-length": String(DECLARED), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
  });
  const url = new URL(signed.url);
  const head = [`PUT ${url.pathname}${url.search} HTTP/1.1`, ...[...signed.headers].map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(head);
  await new Promise<void>((resolve) => socket.write(Buffer.alloc(sent, 7), () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
}

/** Waits until the Worker has given up on the cut-off request (its failure cleans up after itself). */
async function settled(): Promise<Awaited<ReturnType<typeof snapshot>>> {
  let last = await snapshot(h.mf);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await snapshot(h.mf);
    if (changes(last, now).length === 0 && changes(now, last).length === 0) return now;
    last = now;
  }
  return last;
}

describe("a body cut off before its Content-Length", () => {
  it("PutObject stores nothing, and the key stays as it was", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "kept", Body: "before" }));
    const before = await snapshot(h.mf);
    await cutOffPut(`/${B}/kept`, DECLARED / 2);
    await cutOffPut(`/${B}/fresh`, DECLARED - 1);
    const after = await settled();
    expect(changes(before, after)).toEqual([]);
    expect(after.blobs).toEqual(before.blobs);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "kept" }));
    expect(await got.Body!.transformToString()).toBe("before");
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "fresh" }))).rejects.toMatchObject({ name: "NoSuchKey" });
  });

  it("UploadPart stores no part", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "parts" }));
    const before = await snapshot(h.mf);
    await cutOffPut(`/${B}/parts?partNumber=1&uploadId=${encodeURIComponent(UploadId!)}`, DECLARED / 4);
    expect(changes(before, await settled())).toEqual([]);
  });
});
