/**
 * authenticate() end to end against what real clients put on the wire: @aws-sdk/client-s3 and
 * aws4fetch send real HTTP to a local Node server, which turns each request into a fetch Request
 * (as workerd hands it to the Worker) and runs authenticate() + readBodyBytes() on it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { createChecksum } from "../logic/checksums";
import { EMPTY_SHA256 } from "./crypto";
import { authenticate, readBodyBytes, type AuthResult, type VerifiedBody } from "./index";

const AKID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const lookupSecret = async (id: string) => (id === AKID ? SECRET : null);
const enc = new TextEncoder();

interface Seen {
  auth: AuthResult;
  bytes: Uint8Array | null;
  trailer: unknown;
  path: string;
}
let seen: Seen[] = [];
let server: Server;
let endpoint = "";

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const url = `http://${req.headers.host}${req.url}`;
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(url, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, duplex: "half" } as RequestInit);
    try {
      const auth = await authenticate(request, new URL(url), { lookupSecret, allowedRegions: ["us-east-1", "auto"] });
      const bytes = auth.body ? await readBodyBytes(auth.body, 1 << 30) : null;
      seen.push({ auth, bytes, trailer: await auth.body?.trailerChecksum, path: req.url! });
      res.writeHead(200, { ETag: '"0"', "Content-Type": "application/xml" });
      res.end(
        req.url!.includes("list-type") ? '<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>' : "",
      );
    } catch (e) {
      const err = e instanceof S3Error ? e : new S3Error("InternalError");
      res.writeHead(err.status, { "Content-Type": "application/xml" });
      res.end(`<?xml version="1.0"?><Error><Code>${err.code}</Code><Message>${err.message}</Message></Error>`);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
});

const s3 = (secret = SECRET) =>
  new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: AKID, secretAccessKey: secret },
  });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("@aws-sdk/client-s3 requests verify", () => {
  // Keys with characters the SDK escapes differently from encodeURIComponent, or not at all.
  const KEYS = [
    "a b",
    "ünïcödé/ключ",
    "plus+sign",
    "100%",
    "~user",
    "!'()*",
    "a=b&c?d#e",
    "x//y",
    "semi;colon,comma",
    'quote"',
    "<>",
    "back\\slash",
    "[]{}|^`",
    "tab\tnl",
    "日本語 キー.txt",
  ];

  it("GetObject for awkward keys", async () => {
    const c = s3();
    for (const Key of KEYS) await c.send(new GetObjectCommand({ Bucket: "bkt", Key }));
    expect(seen).toHaveLength(KEYS.length);
    for (const s of seen) expect([s.auth.accessKeyId, s.auth.signatureVersion, s.auth.body]).toEqual([AKID, 4, null]);
  });

  it("ListObjectsV2 with awkward query values", async () => {
    await s3().send(new ListObjectsV2Command({ Bucket: "bkt", Prefix: "a b+c/ü~%*'", Delimiter: "/", StartAfter: "x=y&z", MaxKeys: 7 }));
    expect(seen[0]!.auth.accessKeyId).toBe(AKID);
  });

  it("PutObject with a buffer body: signed payload hash, checked by readBodyBytes", async () => {
    await s3().send(new PutObjectCommand({ Bucket: "bkt", Key: "k", Body: Buffer.from("hello world") }));
    const s = seen[0]!;
    expect(new TextDecoder().decode(s.bytes!)).toBe("hello world");
    expect(s.auth.body!.length).toBe(11);
    expect(s.auth.body!.sha256Hex).toBe("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  });

  it("PutObject with a stream body: aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer verified", async () => {
    const data = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    await s3().send(
      new PutObjectCommand({
        Bucket: "bkt",
        Key: "streamed",
        ContentLength: data.length,
        Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
      }),
    );
    const s = seen[0]!;
    expect(hex(s.bytes!)).toBe(hex(data));
    expect(s.auth.body!.length).toBe(data.length);
    expect(s.auth.body!.sha256Hex).toBeUndefined();
    const crc = createChecksum("CRC32");
    crc.update(data);
    expect(s.trailer).toEqual({ algorithm: "CRC32", value: await crc.digest() });
  });

  it("PutObject with a stream body and ChecksumAlgorithm SHA256", async () => {
    await s3().send(
      new PutObjectCommand({
        Bucket: "bkt",
        Key: "s",
        ContentLength: 5,
        ChecksumAlgorithm: "SHA256",
        Body: Readable.from([Buffer.from("hello")]),
      }),
    );
    expect(seen[0]!.trailer).toEqual({ algorithm: "SHA256", value: "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" });
  });

  it("a wrong secret surfaces as SignatureDoesNotMatch", async () => {
    const e = await s3("wrong")
      .send(new GetObjectCommand({ Bucket: "bkt", Key: "a b" }))
      .catch((e) => e);
    expect(e.name).toBe("SignatureDoesNotMatch");
  });
});

describe("aws4fetch requests verify", () => {
  const aws = new AwsClient({ accessKeyId: AKID, secretAccessKey: SECRET, service: "s3", region: "auto" });

  it("signed PUT (UNSIGNED-PAYLOAD) and GET", async () => {
    const put = await aws.fetch(`${endpoint}/bkt/some%20key/%C3%A9`, { method: "PUT", body: "data" });
    expect(put.status).toBe(200);
    expect(seen[0]!.auth.body!.sha256Hex).toBeUndefined();
    expect(new TextDecoder().decode(seen[0]!.bytes!)).toBe("data");
    expect((await aws.fetch(`${endpoint}/bkt/?list-type=2&prefix=a%20b`)).status).toBe(200);
  });

  it("presigned GET (X-Amz-Expires=86400)", async () => {
    const signed = await aws.sign(`${endpoint}/bkt/k%20ey?response-content-type=text%2Fplain`, { aws: { signQuery: true } });
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect(seen[0]!.auth).toEqual({
      accessKeyId: AKID,
      signatureVersion: 4,
      signingRegion: { region: "auto", code: "AuthorizationQueryParametersError" },
      body: null,
    });
  });
});

function request(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  return new Request(url, { duplex: "half", ...init } as RequestInit);
}
const auth = (r: Request) => authenticate(r, new URL(r.url), { lookupSecret, allowedRegions: ["us-east-1"], now: new Date() });
async function s3error(p: Promise<unknown>): Promise<S3Error> {
  const e = await p.then(
    () => null,
    (e) => e,
  );
  expect(e).toBeInstanceOf(S3Error);
  return e as S3Error;
}

describe("authenticate: mechanism selection and bodies", () => {
  it("anonymous GET has no body", async () => {
    expect(await auth(request("https://h/b/k"))).toEqual({ accessKeyId: null, signatureVersion: null, signingRegion: null, body: null });
  });

  it("anonymous PUT gets its body and Content-Length; no length -> null", async () => {
    // (workerd exposes Content-Length on incoming requests; a Node-built Request needs it spelled out)
    const r = await auth(request("https://h/b/k", { method: "PUT", body: "hello", headers: { "content-length": "5" } }));
    expect(r.body!.length).toBe(5);
    expect(new TextDecoder().decode(await readBodyBytes(r.body, 100))).toBe("hello");
    const chunked = await auth(request("https://h/b/k", { method: "PUT", body: "hi", headers: { "transfer-encoding": "chunked" } }));
    expect(chunked.body!.length).toBeNull();
  });

  it("Content-Length: 0 -> null body; a hex claim must then be the empty hash", async () => {
    const empty = (sha: string) => request("https://h/b/k", { method: "PUT", body: "", headers: { "content-length": "0", "x-amz-content-sha256": sha } });
    expect((await auth(empty(EMPTY_SHA256))).body).toBeNull();
    const e = await s3error(auth(empty("a".repeat(64))));
    expect(e.code).toBe("XAmzContentSHA256Mismatch");
  });

  it("two mechanisms at once -> InvalidArgument; unknown scheme -> InvalidArgument", async () => {
    const both = request("https://h/b/k?X-Amz-Signature=x", { headers: { authorization: "AWS a:b" } });
    expect((await s3error(auth(both))).message).toMatch(/Only one auth mechanism allowed/);
    expect((await s3error(auth(request("https://h/b/k", { headers: { authorization: "Bearer x" } })))).message).toBe("Unsupported Authorization Type");
  });

  it("aws-chunked without signing is decoded for anonymous requests too; wrong decoded length -> IncompleteBody", async () => {
    const headers = {
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "content-encoding": "aws-chunked",
      "x-amz-decoded-content-length": "5",
      "x-amz-trailer": "x-amz-checksum-crc32",
    };
    const body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    const r = await auth(request("https://h/b/k", { method: "PUT", body, headers }));
    expect(new TextDecoder().decode(await readBodyBytes(r.body, 100))).toBe("hello");
    expect(await r.body!.trailerChecksum).toEqual({ algorithm: "CRC32", value: "NhCmhg==" });

    const bad = await auth(request("https://h/b/k", { method: "PUT", body, headers: { ...headers, "x-amz-decoded-content-length": "6" } }));
    expect((await s3error(readBodyBytes(bad.body, 100))).code).toBe("IncompleteBody");
    await expect(bad.body!.trailerChecksum).rejects.toThrow(S3Error);
  });

  it("aws-chunked header errors", async () => {
    const h = { "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked" };
    expect((await s3error(auth(request("https://h/b/k", { method: "PUT", body: "0\r\n\r\n", headers: h })))).code).toBe("MissingContentLength");
    const bad = { ...h, "x-amz-decoded-content-length": "0", "x-amz-trailer": "x-amz-meta-foo" };
    expect((await s3error(auth(request("https://h/b/k", { method: "PUT", body: "0\r\n\r\n", headers: bad })))).code).toBe("InvalidRequest");
    const signed = { ...h, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-decoded-content-length": "0" };
    expect((await s3error(auth(request("https://h/b/k", { method: "PUT", body: "0\r\n\r\n", headers: signed })))).code).toBe("InvalidRequest");
  });
});

describe("readBodyBytes", () => {
  const body = (s: string, extra: Partial<VerifiedBody> = {}): VerifiedBody => ({
    stream: new Response(s).body!,
    length: enc.encode(s).length,
    ...extra,
  });

  it("null body -> empty bytes", async () => expect(await readBodyBytes(null, 10)).toEqual(new Uint8Array(0)));

  it("enforces sha256Hex", async () => {
    const good = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    expect(new TextDecoder().decode(await readBodyBytes(body("hello", { sha256Hex: good }), 10))).toBe("hello");
    const e = await s3error(readBodyBytes(body("hellO", { sha256Hex: good }), 10));
    expect(e.code).toBe("XAmzContentSHA256Mismatch");
    expect(e.details.ClientComputedContentSHA256).toBe(good);
  });

  it("limits the size, with or without a known length", async () => {
    expect((await s3error(readBodyBytes(body("0123456789x"), 10))).code).toBe("MaxMessageLengthExceeded");
    expect((await s3error(readBodyBytes(body("0123456789x", { length: null }), 10))).code).toBe("MaxMessageLengthExceeded");
  });

  it("a body shorter than its length -> IncompleteBody", async () => {
    expect((await s3error(readBodyBytes(body("abc", { length: 4 }), 10))).code).toBe("IncompleteBody");
  });
});
