/**
 * Signed S3 requests as exact bytes, for tests that then tamper with them: SigV4 header auth
 * (every header signed, as botocore does), presigned URLs, aws-chunked bodies (signed chunks, or
 * unsigned with a checksum trailer) and SigV2. `sendRaw` puts the request on the wire with
 * node:http exactly as given (Host included, no header added but Connection), which fetch cannot.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */
import { crc32 } from "@aws-crypto/crc32";
import { createHash, createHmac } from "node:crypto";
import http from "node:http";

export type Creds = { accessKeyId: string; secretAccessKey: string };

/** A request as it goes on the wire: target split into path and ordered query pairs. */
export type RawRequest = {
  method: string;
  /** origin, e.g. http://127.0.0.1:8787 (the Host header is separate and may be tampered with) */
  origin: string;
  /** raw path, already percent-encoded */
  path: string;
  /** raw (encoded) name/value pairs; a null value is a bare name ("?uploads") */
  query: [string, string | null][];
  headers: Record<string, string>;
  body: Buffer;
};

export const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");
const sha256 = (d: string | Buffer) => createHash("sha256").update(d).digest("hex");
const hmac = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();
const REGION = "us-east-1";

export function amzDateOf(d = new Date()): string {
  return d.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

function signingKey(secret: string, day: string): Buffer {
  return hmac(hmac(hmac(hmac("AWS4" + secret, day), REGION), "s3"), "aws4_request");
}

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

export function target(r: Pick<RawRequest, "path" | "query">): string {
  const q = r.query.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&");
  return r.path + (q ? `?${q}` : "");
}

function canonicalQuery(query: [string, string | null][], exclude?: string): string {
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  return query
    .filter(([k]) => k !== exclude)
    .map(([k, v]) => [enc(dec(k)), enc(dec(v ?? ""))] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function canonicalRequest(r: RawRequest, signed: string[], payload: string, excludeParam?: string): string {
  const lower = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const headerLines = signed.map((n) => `${n}:${(lower[n] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const uri = r.path
    .split("/")
    .map((s) => enc(decodeURIComponent(s)))
    .join("/");
  return [r.method, uri, canonicalQuery(r.query, excludeParam), headerLines, signed.join(";"), payload].join("\n");
}

export type V4Body =
  | { kind: "signed"; data: Buffer }
  | { kind: "unsigned"; data: Buffer }
  /** `data` sent as is, signed with this x-amz-content-sha256 literal (hand-framed bodies) */
  | { kind: "literal"; payload: string; data: Buffer }
  /** STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed */
  | { kind: "chunked-signed"; chunks: Buffer[] }
  /** STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer */
  | { kind: "chunked-unsigned-trailer"; chunks: Buffer[] };

/**
 * Signs `method origin path?query` with SigV4 in the Authorization header. Every header given
 * (plus host and the x-amz-* headers added here) is signed, as botocore and the JS SDK do.
 */
export function signV4(
  creds: Creds,
  base: { method: string; origin: string; path: string; query?: [string, string | null][]; headers?: Record<string, string> },
  body: V4Body,
  at = new Date(),
): RawRequest {
  const amzDate = amzDateOf(at);
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const headers: Record<string, string> = { host: new URL(base.origin).host, "x-amz-date": amzDate, ...lowerKeys(base.headers ?? {}) };
  let payload: string;
  let wire: Buffer;
  if (body.kind === "signed" || body.kind === "unsigned" || body.kind === "literal") {
    payload = body.kind === "signed" ? sha256(body.data) : body.kind === "literal" ? body.payload : "UNSIGNED-PAYLOAD";
    wire = body.data;
  } else {
    payload = body.kind === "chunked-signed" ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" : "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
    headers["content-encoding"] = "aws-chunked";
    headers["x-amz-decoded-content-length"] = String(body.chunks.reduce((n, c) => n + c.length, 0));
    if (body.kind === "chunked-unsigned-trailer") headers["x-amz-trailer"] = "x-amz-checksum-crc32";
    wire = Buffer.alloc(0);
  }
  headers["x-amz-content-sha256"] = payload;
  const req: RawRequest = { method: base.method, origin: base.origin, path: base.path, query: base.query ?? [], headers, body: wire };
  const signed = Object.keys(headers).sort();
  const key = signingKey(creds.secretAccessKey, day);
  const seed = hmac(key, ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest(req, signed, payload))].join("\n")).toString("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${seed}`;
  if (body.kind === "chunked-signed") {
    let prev = seed;
    const parts: Buffer[] = [];
    for (const chunk of [...body.chunks, Buffer.alloc(0)]) {
      prev = hmac(key, ["AWS4-HMAC-SHA256-PAYLOAD", amzDate, scope, prev, EMPTY_SHA256, sha256(chunk)].join("\n")).toString("hex");
      parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${prev}\r\n`), chunk, Buffer.from("\r\n"));
    }
    req.body = Buffer.concat(parts);
  } else if (body.kind === "chunked-unsigned-trailer") {
    const all = Buffer.concat(body.chunks);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(all) >>> 0);
    const parts = body.chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")]);
    req.body = Buffer.concat([...parts, Buffer.from(`0\r\nx-amz-checksum-crc32:${crc.toString("base64")}\r\n\r\n`)]);
  }
  if (req.body.length || base.method === "PUT" || base.method === "POST") headers["content-length"] = String(req.body.length);
  return req;
}

/** A presigned URL request (X-Amz-* query parameters, UNSIGNED-PAYLOAD); `headers` are signed too. */
export function presignV4(
  creds: Creds,
  base: { method: string; origin: string; path: string; headers?: Record<string, string> },
  body = Buffer.alloc(0),
  expires = 3600,
  at = new Date(),
): RawRequest {
  const amzDate = amzDateOf(at);
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const headers: Record<string, string> = { host: new URL(base.origin).host, ...lowerKeys(base.headers ?? {}) };
  const signed = Object.keys(headers).sort();
  const query: [string, string | null][] = [
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", enc(`${creds.accessKeyId}/${scope}`)],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(expires)],
    ["X-Amz-SignedHeaders", enc(signed.join(";"))],
  ];
  const req: RawRequest = { method: base.method, origin: base.origin, path: base.path, query, headers, body };
  const sts = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest(req, signed, "UNSIGNED-PAYLOAD"))].join("\n");
  query.push(["X-Amz-Signature", hmac(signingKey(creds.secretAccessKey, day), sts).toString("hex")]);
  if (body.length || base.method === "PUT" || base.method === "POST") headers["content-length"] = String(body.length);
  return req;
}

/** SigV2 header auth: the string to sign covers Content-MD5, Content-Type, Date and every x-amz-* header. */
export function signV2(creds: Creds, base: { method: string; origin: string; path: string; headers?: Record<string, string> }, body: Buffer): RawRequest {
  const headers: Record<string, string> = { host: new URL(base.origin).host, date: new Date().toUTCString(), ...lowerKeys(base.headers ?? {}) };
  const amz = Object.keys(headers)
    .filter((k) => k.startsWith("x-amz-"))
    .sort()
    .map((k) => `${k}:${headers[k]!.trim()}\n`)
    .join("");
  const sts = `${base.method}\n${headers["content-md5"] ?? ""}\n${headers["content-type"] ?? ""}\n${headers.date}\n${amz}${base.path}`;
  headers.authorization = `AWS ${creds.accessKeyId}:${createHmac("sha1", creds.secretAccessKey).update(sts).digest("base64")}`;
  headers["content-length"] = String(body.length);
  return { method: base.method, origin: base.origin, path: base.path, query: [], headers, body };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Sends `r` byte for byte; resolves with the status and the body text. */
export function sendRaw(r: RawRequest): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(r.origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: r.method, path: target(r), headers: r.headers, agent, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

export function closeRawAgent(): void {
  agent.destroy();
}

/** S3 error code of a response body, if any. */
export const codeOf = (body: string): string | undefined => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
