/**
 * Authentication end to end, with a raw signer (aws4fetch) for requests the SDK will not make,
 * and a hand-built aws-chunked body for STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCron, startWorker, streamToBuffer, type Harness } from "./harness";

let h: Harness;
const B = "auth";
beforeAll(async () => {
  h = await startWorker();
  await h.client().send(new CreateBucketCommand({ Bucket: B }));
  await h.client().send(new PutObjectCommand({ Bucket: B, Key: "hello.txt", Body: "hello" }));
});
afterAll(() => h?.dispose());

const signer = (creds = ROOT, region = "us-east-1") => new AwsClient({ ...creds, service: "s3", region, retries: 0 });

async function errorOf(res: Response): Promise<{ status: number; code: string | undefined; requestId: string | undefined }> {
  const text = await res.text();
  return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1], requestId: /<RequestId>([^<]+)<\/RequestId>/.exec(text)?.[1] };
}

async function listKeys(): Promise<string[]> {
  return ((await h.client().send(new ListObjectsV2Command({ Bucket: B }))).Contents ?? []).map((c) => c.Key!);
}

describe("SigV4 header auth", () => {
  it("accepts a correctly signed request in any accepted region", async () => {
    for (const region of ["us-east-1", "auto", "ch-gva-2"]) {
      const res = await signer(ROOT, region).fetch(`${h.url}/${B}/hello.txt`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello");
      expect(res.headers.get("x-amz-request-id")).toBeTruthy();
    }
  });

  it("verifies a signed Accept-Encoding that the runtime rewrote (rclone signs gzip)", async () => {
    const signed = await signer().sign(`${h.url}/${B}/hello.txt`, { headers: { "accept-encoding": "gzip" } });
    expect(signed.headers.get("authorization")).toContain("accept-encoding");
    const res = await fetch(signed.url, { headers: signed.headers });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
  });

  it("refuses a wrong secret, an unknown key and a tampered request", async () => {
    const wrong = await errorOf(await signer({ accessKeyId: ROOT.accessKeyId, secretAccessKey: "wrong" }).fetch(`${h.url}/${B}/hello.txt`));
    expect(wrong).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(wrong.requestId).toBeTruthy();
    expect(await errorOf(await signer({ accessKeyId: "NOSUCHKEY", secretAccessKey: "x" }).fetch(`${h.url}/${B}/hello.txt`))).toMatchObject({
      status: 403,
      code: "InvalidAccessKeyId",
    });
    const signed = await signer().sign(`${h.url}/${B}/hello.txt`);
    const tampered = new Request(signed.url.replace("hello.txt", "other.txt"), { headers: signed.headers });
    expect(await errorOf(await fetch(tampered))).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses a request dated outside the 15-minute skew window", async () => {
    const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[:-]|\.\d{3}/g, "");
    const res = await signer().fetch(`${h.url}/${B}/hello.txt`, { aws: { datetime: old } });
    expect(await errorOf(res)).toMatchObject({ status: 403, code: "RequestTimeTooSkewed" });
  });

  it("refuses a body whose SHA-256 differs from the signed one, storing nothing", async () => {
    const req = await signer().sign(`${h.url}/${B}/sha-mismatch`, {
      method: "PUT",
      body: "original",
      headers: { "x-amz-content-sha256": createHash("sha256").update("original").digest("hex") },
    });
    const res = await fetch(req.url, { method: "PUT", headers: req.headers, body: "tampered" });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: "XAmzContentSHA256Mismatch" });
    expect(await listKeys()).not.toContain("sha-mismatch");
  });

  it("lets anonymous requests reach authorization, which refuses them on a private bucket", async () => {
    expect(await errorOf(await fetch(`${h.url}/${B}/hello.txt`))).toMatchObject({ status: 403, code: "AccessDenied" });
  });
});

describe("presigned URLs", () => {
  it("serve GET and PUT, and refuse expired or tampered ones", async () => {
    const s3 = h.client();
    const presign = async (key: string, method = "GET") =>
      (await signer().sign(`${h.url}/${B}/${key}?X-Amz-Expires=60`, { method, aws: { signQuery: true, allHeaders: false } })).url;
    const get = await presign("hello.txt");
    expect(await (await fetch(get)).text()).toBe("hello");
    const put = await presign("presigned-put", "PUT");
    expect((await fetch(put, { method: "PUT", body: "via presign" })).status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "presigned-put" }));
    expect((await streamToBuffer(got.Body)).toString()).toBe("via presign");

    const expired = await signer().sign(`${h.url}/${B}/hello.txt?X-Amz-Expires=1`, {
      aws: { signQuery: true, datetime: new Date(Date.now() - 120_000).toISOString().replace(/[:-]|\.\d{3}/g, "") },
    });
    expect(await errorOf(await fetch(expired.url))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await errorOf(await fetch(get.replace("hello.txt", "presigned-put")))).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    const tooLong = await signer().sign(`${h.url}/${B}/hello.txt?X-Amz-Expires=604801`, { aws: { signQuery: true } });
    expect((await errorOf(await fetch(tooLong.url))).status).toBe(400);
  });
});

// ---- aws-chunked with chunk signatures, built by hand (the SDK no longer sends this form)

const sha256 = (d: string | Buffer) => createHash("sha256").update(d).digest("hex");
const hmac = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();

function signingKey(secret: string, date: string, region: string) {
  return hmac(hmac(hmac(hmac("AWS4" + secret, date), region), "s3"), "aws4_request");
}

function chunkedPut(url: string, chunks: Buffer[], opts: { corruptChunk?: number } = {}) {
  const u = new URL(url);
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const region = "us-east-1";
  const scope = `${date}/${region}/s3/aws4_request`;
  const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
  const headers: Record<string, string> = {
    host: u.host,
    "content-encoding": "aws-chunked",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "x-amz-date": amzDate,
    "x-amz-decoded-content-length": String(decodedLength),
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    "PUT",
    u.pathname,
    "",
    ...signed
      .map((k) => `${k}:${headers[k]}\n`)
      .join("")
      .split("\n")
      .slice(0, -1),
    "",
    signed.join(";"),
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  ].join("\n");
  const key = signingKey(ROOT.secretAccessKey, date, region);
  let prev = hmac(key, ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n")).toString("hex");
  const authorization = `AWS4-HMAC-SHA256 Credential=${ROOT.accessKeyId}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${prev}`;
  const parts: Buffer[] = [];
  [...chunks, Buffer.alloc(0)].forEach((chunk, i) => {
    let sig = hmac(key, ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, prev, sha256(""), sha256(chunk)].join("\n")).toString("hex");
    prev = sig;
    if (opts.corruptChunk === i) sig = sig.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${sig}\r\n`), chunk, Buffer.from("\r\n"));
  });
  const body = Buffer.concat(parts);
  const { host: _host, ...sendHeaders } = headers;
  return fetch(url, { method: "PUT", headers: { ...sendHeaders, authorization, "content-length": String(body.length) }, body });
}

describe("aws-chunked STREAMING-AWS4-HMAC-SHA256-PAYLOAD", () => {
  it("stores the decoded body when every chunk signature verifies", async () => {
    const chunks = [Buffer.alloc(65536, 1), Buffer.alloc(65536, 2), Buffer.from("tail")];
    const res = await chunkedPut(`${h.url}/${B}/chunked-ok`, chunks);
    expect(res.status).toBe(200);
    const got = await h.client().send(new GetObjectCommand({ Bucket: B, Key: "chunked-ok" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), Buffer.concat(chunks))).toBe(0);
  });

  it("refuses a body with one bad chunk signature and stores nothing", async () => {
    const res = await chunkedPut(`${h.url}/${B}/chunked-bad`, [Buffer.alloc(65536, 1), Buffer.from("tail")], { corruptChunk: 1 });
    expect(await errorOf(res)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    await runCron(h);
    expect(await listKeys()).not.toContain("chunked-bad");
  });
});

describe("SigV2 (legacy clients)", () => {
  it("accepts a V2 header signature and refuses a wrong one", async () => {
    const date = new Date().toUTCString();
    const sts = `GET\n\n\n${date}\n/${B}/hello.txt`;
    const good = createHmac("sha1", ROOT.secretAccessKey).update(sts).digest("base64");
    const ok = await fetch(`${h.url}/${B}/hello.txt`, { headers: { date, authorization: `AWS ${ROOT.accessKeyId}:${good}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("hello");
    const bad = await fetch(`${h.url}/${B}/hello.txt`, { headers: { date, authorization: `AWS ${ROOT.accessKeyId}:${good.replace(/^./, "A")}x` } });
    expect((await errorOf(bad)).code).toBe("SignatureDoesNotMatch");
  });
});
