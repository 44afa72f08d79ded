/**
 * The same object operations against either Worker: S3 REST calls (SigV4) to sos-worker, or the
 * baseline Worker's bare routes (bench/baseline-worker.js). Every call checks its status, so a
 * broken operation fails the run instead of producing a fast-looking number.
 */
import type http from "node:http";
import type { Readable } from "node:stream";
import { expectStatus, send, signed } from "./http";
import { patternStream } from "./payload";
import { type BenchWorker, CREDS } from "./workers";

/** A server under load: its URL, and the pid whose CPU is counted. */
export type Served = Pick<BenchWorker, "name" | "url" | "pid">;

export type Target = {
  /** the column name in the tables */
  label: string;
  worker: Served;
  put(key: string, body: Buffer | Readable, length: number, agent?: http.Agent | false): Promise<void>;
  /** Streams the object through `onChunk`; returns the byte count. */
  get(key: string, onChunk: (chunk: Buffer, offset: number) => void, agent?: http.Agent | false): Promise<number>;
  /** Uploads `size` pattern bytes in parts of `partSize`, `concurrency` parts at a time. */
  multipartUpload(key: string, size: number, partSize: number, concurrency: number): Promise<void>;
};

type Part = { partNumber: number; etag: string };

/** Uploads the parts of a multipart object from a shared queue of part numbers. */
async function uploadParts(
  size: number,
  partSize: number,
  concurrency: number,
  upload: (n: number, offset: number, length: number) => Promise<string>,
): Promise<Part[]> {
  const count = Math.ceil(size / partSize);
  const parts: Part[] = [];
  let next = 1;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let n = next++; n <= count; n = next++) {
        const offset = (n - 1) * partSize;
        parts.push({ partNumber: n, etag: await upload(n, offset, Math.min(partSize, size - offset)) });
      }
    }),
  );
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

/** S3 REST calls to sos-worker (or to any S3 server: `creds` sign them). */
export function sosTarget(worker: Served, bucket: string, label = "sos-worker", creds = CREDS): Target {
  const url = (key: string, query = "") => `${worker.url}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}${query}`;
  return {
    label,
    worker,
    async put(key, body, length, agent) {
      const u = url(key);
      const headers = await signed("PUT", u, { "content-length": String(length) }, creds);
      expectStatus(`sos PUT ${key}`, await send("PUT", u, { headers, body, agent }));
    },
    async get(key, onChunk, agent) {
      const u = url(key);
      const r = expectStatus(`sos GET ${key}`, await send("GET", u, { headers: await signed("GET", u, {}, creds), onChunk, agent }));
      return r.bytes;
    },
    async multipartUpload(key, size, partSize, concurrency) {
      const create = url(key, "?uploads");
      const created = expectStatus("sos CreateMultipartUpload", await send("POST", create, { headers: await signed("POST", create, {}, creds) }));
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body.toString("utf8"))?.[1];
      if (!uploadId) throw new Error("sos CreateMultipartUpload: no UploadId in the response");
      const parts = await uploadParts(size, partSize, concurrency, async (n, offset, length) => {
        const u = url(key, `?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`);
        const headers = await signed("PUT", u, { "content-length": String(length) }, creds);
        const r = expectStatus(`sos UploadPart ${n}`, await send("PUT", u, { headers, body: patternStream(length, offset) }));
        return String(r.headers.etag);
      });
      const xml = `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
      const complete = url(key, `?uploadId=${encodeURIComponent(uploadId)}`);
      const headers = await signed("POST", complete, { "content-length": String(Buffer.byteLength(xml)), "content-type": "application/xml" }, creds);
      const done = expectStatus("sos CompleteMultipartUpload", await send("POST", complete, { headers, body: xml }));
      // CompleteMultipartUpload can fail with 200 and an Error document.
      if (!done.body.toString("utf8").includes("<CompleteMultipartUploadResult"))
        throw new Error(`sos CompleteMultipartUpload: ${done.body.toString("utf8").slice(0, 500)}`);
    },
  };
}

/** The raw R2 baseline; with `d1`, each PUT and GET also makes the one D1 statement of the metadata floor (baseline-worker.js). */
export function baselineTarget(worker: BenchWorker, opts: { d1?: boolean } = {}): Target {
  const url = (key: string, query = "") => `${worker.url}/${encodeURIComponent(key)}${query}`;
  const objectUrl = (key: string) => url(key, opts.d1 ? "?d1" : "");
  return {
    label: opts.d1 ? "raw R2 + one D1 statement" : "raw R2",
    worker,
    async put(key, body, length, agent) {
      expectStatus(`R2 PUT ${key}`, await send("PUT", objectUrl(key), { headers: { "content-length": String(length) }, body, agent }));
    },
    async get(key, onChunk, agent) {
      return expectStatus(`R2 GET ${key}`, await send("GET", objectUrl(key), { onChunk, agent })).bytes;
    },
    async multipartUpload(key, size, partSize, concurrency) {
      const created = expectStatus("R2 createMultipartUpload", await send("POST", url(key, "?uploads")));
      const { uploadId } = JSON.parse(created.body.toString("utf8")) as { uploadId: string };
      const parts = await uploadParts(size, partSize, concurrency, async (n, offset, length) => {
        const u = url(key, `?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`);
        const r = expectStatus(
          `R2 uploadPart ${n}`,
          await send("PUT", u, { headers: { "content-length": String(length) }, body: patternStream(length, offset) }),
        );
        return (JSON.parse(r.body.toString("utf8")) as Part).etag;
      });
      const body = JSON.stringify(parts);
      expectStatus(
        "R2 complete",
        await send("POST", url(key, `?uploadId=${encodeURIComponent(uploadId)}`), { headers: { "content-length": String(Buffer.byteLength(body)) }, body }),
      );
    },
  };
}
