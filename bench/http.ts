/**
 * The benchmark's HTTP client: node:http (so that connection reuse is explicit), SigV4 headers
 * for sos-worker, and nothing for the baseline. Both sides send the same bytes the same way. The
 * client shares this 2-core box with the Workers, so its signing is kept cheap: UNSIGNED-PAYLOAD
 * (no hashing of bodies; the Worker still computes the MD5 ETag, as S3 does) and node:crypto's
 * synchronous HMAC with the signing key cached per day (aws4fetch's WebCrypto signer cost the client
 * about 1.4 ms of CPU per request, more than the baseline's whole request).
 */
import crypto from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { CREDS } from "./workers";

export type Reply = { status: number; headers: http.IncomingHttpHeaders; bytes: number; body: Buffer };

export type SendOptions = {
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** keep-alive pool for small requests; false = a fresh connection (workerd may drop reused sockets after long transfers) */
  agent?: http.Agent | false;
  /** sees each response chunk and its offset; the body is then not kept */
  onChunk?: (chunk: Buffer, offset: number) => void;
};

export function send(method: string, url: string, opts: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const kept: Buffer[] = [];
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        try {
          if (opts.onChunk) opts.onChunk(chunk, bytes);
          else kept.push(chunk);
        } catch (e) {
          res.destroy();
          return reject(e);
        }
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, body: Buffer.concat(kept) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    const body = opts.body;
    if (body instanceof Readable) {
      body.on("error", (e) => req.destroy(e));
      body.pipe(req);
    } else req.end(body);
  });
}

const REGION = "us-east-1";
const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac("sha256", key).update(data).digest();
const signingKeys = new Map<string, Buffer>();

/** RFC 3986 encoding, as SigV4's canonical query string wants it. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Adds SigV4 (UNSIGNED-PAYLOAD) headers for a request to sos-worker (or any S3 server `creds` are
 * valid for), signing every header given plus host, x-amz-date and x-amz-content-sha256. `url`'s
 * path must already be URI-encoded (S3 signs it as sent, not encoded twice).
 */
export async function signed(method: string, url: string, headers: Record<string, string> = {}, creds = CREDS): Promise<Record<string, string>> {
  const u = new URL(url);
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, host: u.host, "x-amz-date": amzDate, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  const names = Object.keys(all)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const query = [...u.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const signedHeaders = names.join(";");
  const canonical = [method, u.pathname, query, ...names.map((n) => `${n}:${lower[n]}`), "", signedHeaders, "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
  const cacheKey = `${creds.secretAccessKey}/${day}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), REGION), "s3"), "aws4_request");
    signingKeys.set(cacheKey, key);
  }
  const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
  const { host: _host, ...sent } = all; // node:http sets Host itself
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** Throws unless the reply has the expected status, showing the body (an S3 error document). */
export function expectStatus(what: string, r: Reply, status = 200): Reply {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}, expected ${status}: ${r.body.toString("utf8").slice(0, 500)}`);
  return r;
}
