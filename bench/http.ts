/**
 * The benchmark's HTTP client: node:http (so that connection reuse is explicit), SigV4 headers
 * for sos-worker from aws4fetch's signer, and nothing for the baseline. Both sides send the same
 * bytes the same way; sos requests are signed with UNSIGNED-PAYLOAD so the client does not spend
 * this 2-core box's CPU hashing bodies (the Worker still computes the MD5 ETag, as S3 does).
 */
import { AwsV4Signer } from "aws4fetch";
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

/** Adds SigV4 (UNSIGNED-PAYLOAD) headers for a request to sos-worker. */
export async function signed(method: string, url: string, headers: Record<string, string> = {}, creds = CREDS): Promise<Record<string, string>> {
  const signer = new AwsV4Signer({ url, method, headers, service: "s3", region: "us-east-1", ...creds });
  const out = await signer.sign();
  return Object.fromEntries(out.headers as unknown as Iterable<[string, string]>);
}

/** Throws unless the reply has the expected status, showing the body (an S3 error document). */
export function expectStatus(what: string, r: Reply, status = 200): Reply {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}, expected ${status}: ${r.body.toString("utf8").slice(0, 500)}`);
  return r;
}
