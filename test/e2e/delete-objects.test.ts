/**
 * DeleteObjects end to end: up to 1000 keys per request, Quiet mode, per-key Deleted/Error
 * entries, and the integrity header S3 requires (Content-MD5 or any x-amz-checksum-*: current
 * SDKs send CRC32). A raw signer (aws4fetch) makes the requests the SDK will not.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  type DeleteObjectsCommandOutput,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { crc32 } from "@aws-crypto/crc32";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, startWorker, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
const B = "batch-delete";

beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });

/**
 * Each burst of requests gets a fresh client: workerd drops keep-alive connections idle for a few
 * seconds, and these clients do not retry (maxAttempts 1), so a reused pool would hit a closed socket.
 */
async function putAll(Bucket: string, keys: string[], concurrency = 16): Promise<void> {
  const s3 = h.client();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const Key = keys[next++];
        await s3.send(new PutObjectCommand({ Bucket, Key, Body: `body of ${Key}` }));
      }
    }),
  );
}

async function listKeys(Bucket: string): Promise<string[]> {
  const s3 = h.client();
  const out: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
    out.push(...(r.Contents ?? []).map((c) => c.Key!));
    ContinuationToken = r.NextContinuationToken;
  } while (ContinuationToken);
  return out;
}

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const deleteXml = (keys: string[], quiet = false) =>
  `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? "<Quiet>true</Quiet>" : ""}${keys
    .map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`)
    .join("")}</Delete>`;

async function rawDelete(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await signer.fetch(`${h.url}/${B}?delete`, { method: "POST", body, headers });
  return { status: res.status, text: await res.text() };
}

const md5Base64 = (s: string) => createHash("md5").update(s).digest("base64");
const crc32Base64 = (s: string) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(Buffer.from(s)) >>> 0);
  return b.toString("base64");
};

describe("DeleteObjects", () => {
  it("deletes 1000 keys in one request with the SDK's default CRC32 header; Deleted entries come in request order", async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `many/${String(i).padStart(4, "0")}-${i % 7 === 0 ? "ünï cödé+&<>" : "k"}`);
    // 400 stored objects (enough to prove the batch path, cheaper to set up) and 600 absent keys,
    // which S3 also reports as Deleted.
    await putAll(
      B,
      keys.filter((_, i) => i % 5 < 2),
    );
    expect((await listKeys(B)).filter((k) => k.startsWith("many/"))).toHaveLength(400);

    const seen: Record<string, string>[] = [];
    s3.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        seen.push(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])));
        return next(args);
      },
      { step: "finalizeRequest", name: "captureDeleteHeaders", priority: "low" },
    );
    const shuffled = [...keys].reverse();
    let r: DeleteObjectsCommandOutput | undefined;
    try {
      r = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: shuffled.map((Key) => ({ Key })) } }));
    } finally {
      s3.middlewareStack.remove("captureDeleteHeaders");
    }
    expect(seen.at(-1)?.["x-amz-checksum-crc32"]).toBeTruthy();
    expect(seen.at(-1)?.["content-md5"]).toBeUndefined();
    expect(r.Errors ?? []).toEqual([]);
    expect(r.Deleted?.map((d) => d.Key)).toEqual(shuffled);
    expect((await listKeys(B)).filter((k) => k.startsWith("many/"))).toEqual([]);
    await runCron(h);
    expect(await r2Keys(h.mf)).toEqual([]);
  });

  it("more than 1000 keys is MalformedXML and deletes nothing", async () => {
    await putAll(B, ["keep/a", "keep/b"]);
    const keys = ["keep/a", "keep/b", ...Array.from({ length: 999 }, (_, i) => `ghost/${i}`)];
    await expect(s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: keys.map((Key) => ({ Key })) } }))).rejects.toMatchObject({
      name: "MalformedXML",
      $metadata: { httpStatusCode: 400 },
    });
    expect(await listKeys(B)).toEqual(["keep/a", "keep/b"]);
  });

  it("Quiet mode answers only the errors; per-key failures are Error entries beside the Deleted ones", async () => {
    await putAll(B, ["q/1", "q/2"]);
    const tooLong = "x".repeat(1025);
    const loud = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: "q/1" }, { Key: tooLong }, { Key: "q/never-existed" }] } }));
    expect(loud.Deleted?.map((d) => d.Key)).toEqual(["q/1", "q/never-existed"]);
    expect(loud.Errors).toEqual([{ Key: tooLong, Code: "KeyTooLongError", Message: expect.any(String) }]);

    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Quiet: true, Objects: [{ Key: "q/2" }, { Key: tooLong }] } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    expect(quiet.Errors?.map((e) => [e.Key, e.Code])).toEqual([[tooLong, "KeyTooLongError"]]);
    expect((await listKeys(B)).filter((k) => k.startsWith("q/"))).toEqual([]);
  });

  it("versioned buckets: delete markers without a version id, exact versions with one", async () => {
    const VB = "batch-delete-versions";
    await s3.send(new CreateBucketCommand({ Bucket: VB }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: VB, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: VB, Key: "doc", Body: "one" }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: VB, Key: "doc", Body: "two" }));
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: VB,
        Delete: { Objects: [{ Key: "doc", VersionId: v1.VersionId }, { Key: "doc" }, { Key: "doc", VersionId: "not-a-version!" }] },
      }),
    );
    expect(r.Deleted).toHaveLength(2);
    expect(r.Deleted?.[0]).toMatchObject({ Key: "doc", VersionId: v1.VersionId });
    expect(r.Deleted?.[1]).toMatchObject({ Key: "doc", DeleteMarker: true });
    const marker = r.Deleted![1].DeleteMarkerVersionId!;
    expect(marker).toBeTruthy();
    expect(r.Errors?.map((e) => [e.Key, e.VersionId, e.Code])).toEqual([["doc", "not-a-version!", "InvalidArgument"]]);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: VB }));
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([v2.VersionId]);
    expect(versions.DeleteMarkers?.map((d) => d.VersionId)).toEqual([marker]);
    // Removing the delete marker by id reports it as one.
    const undo = await s3.send(new DeleteObjectsCommand({ Bucket: VB, Delete: { Objects: [{ Key: "doc", VersionId: marker }] } }));
    expect(undo.Deleted?.[0]).toMatchObject({ Key: "doc", VersionId: marker, DeleteMarker: true, DeleteMarkerVersionId: marker });
  });

  describe("integrity headers", () => {
    it("accepts Content-MD5 alone (older SDKs, awscli v2)", async () => {
      await putAll(B, ["md5/a"]);
      const body = deleteXml(["md5/a"]);
      const r = await rawDelete(body, { "content-md5": md5Base64(body), "content-type": "application/xml" });
      expect(r.status).toBe(200);
      expect(r.text).toContain("<Deleted><Key>md5/a</Key></Deleted>");
      expect(await listKeys(B)).not.toContain("md5/a");
    });

    it("accepts x-amz-checksum-crc32 alone", async () => {
      await putAll(B, ["crc/a"]);
      const body = deleteXml(["crc/a"], true);
      const r = await rawDelete(body, { "x-amz-checksum-crc32": crc32Base64(body), "x-amz-sdk-checksum-algorithm": "CRC32" });
      expect(r.status).toBe(200);
      expect(r.text).not.toContain("<Deleted>");
      expect(await listKeys(B)).not.toContain("crc/a");
    });

    it("refuses a missing integrity header (InvalidRequest), a wrong Content-MD5 or CRC32 (BadDigest), and deletes nothing", async () => {
      await putAll(B, ["guarded"]);
      const body = deleteXml(["guarded"]);
      const missing = await rawDelete(body, {});
      expect(missing.status).toBe(400);
      expect(missing.text).toContain("<Code>InvalidRequest</Code>");
      const wrongMd5 = await rawDelete(body, { "content-md5": md5Base64(body + " ") });
      expect(wrongMd5.status).toBe(400);
      expect(wrongMd5.text).toContain("<Code>BadDigest</Code>");
      const wrongCrc = await rawDelete(body, { "x-amz-checksum-crc32": crc32Base64(body + " ") });
      expect(wrongCrc.status).toBe(400);
      expect(wrongCrc.text).toContain("<Code>BadDigest</Code>");
      const malformed = await rawDelete("<Delete><Object></Delete>", { "content-md5": md5Base64("<Delete><Object></Delete>") });
      expect(malformed.status).toBe(400);
      expect(malformed.text).toContain("<Code>MalformedXML</Code>");
      expect(await listKeys(B)).toContain("guarded");
    });
  });
});
