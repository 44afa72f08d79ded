/**
 * One file's upload: a single PutObject up to one part's size, multipart above it (parts sent
 * three at a time, each with its own progress). Pause aborts the parts in flight and keeps the
 * upload id and the finished parts, so resume (or retry after an error) sends only what is missing.
 * XMLHttpRequest, because fetch reports no upload progress; the request is signed first (aws4fetch,
 * UNSIGNED-PAYLOAD) and sent to this origin only.
 */
import { failureOf, S3Failure, type S3 } from "./s3";
import { partSizeFor } from "./rules";
import { completeMultipartXml } from "./xml";

export type UploadState = "queued" | "uploading" | "paused" | "done" | "error" | "cancelled";
const PARALLEL_PARTS = 3;

type Sent = { status: number; etag: string | null; body: string };

/** Sends a signed request's headers with `body` through XHR, reporting bytes sent. */
function xhrSend(req: Request, body: Blob | null, onProgress: (sent: number) => void, register: (abort: () => void) => void): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(req.method, req.url);
    req.headers.forEach((v, k) => {
      if (k !== "host" && k !== "content-length") x.setRequestHeader(k, v);
    });
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => resolve({ status: x.status, etag: x.getResponseHeader("etag"), body: x.responseText });
    x.onerror = () => reject(new S3Failure("NetworkError", "The connection failed during the upload.", 0));
    x.onabort = () => reject(new DOMException("paused", "AbortError"));
    register(() => x.abort());
    x.send(body);
  });
}

async function check(sent: Sent): Promise<Sent> {
  if (sent.status >= 200 && sent.status < 300) return sent;
  throw await failureOf(new Response(sent.body, { status: sent.status }));
}

export class Upload {
  state: UploadState = "queued";
  sent = 0;
  error?: unknown;
  uploadId?: string;
  readonly partSize: number;
  private parts = new Map<number, string>();
  private inFlight = new Map<number, number>();
  private aborts = new Set<() => void>();

  constructor(
    private s3: S3,
    readonly bucket: string,
    readonly key: string,
    readonly file: Blob,
    preferredPartSize: number,
    private onChange: () => void,
  ) {
    this.partSize = partSizeFor(file.size, preferredPartSize);
  }

  get multipart(): boolean {
    return this.file.size > this.partSize;
  }
  get partCount(): number {
    return Math.max(1, Math.ceil(this.file.size / this.partSize));
  }
  get partsDone(): number {
    return this.parts.size;
  }
  get progress(): number {
    return this.file.size === 0 ? (this.state === "done" ? 1 : 0) : Math.min(1, this.sent / this.file.size);
  }

  private changed() {
    const done = [...this.parts.keys()].reduce((n, p) => n + this.partBlob(p).size, 0);
    this.sent = this.multipart ? done + [...this.inFlight.values()].reduce((a, b) => a + b, 0) : this.sent;
    this.onChange();
  }

  private partBlob(n: number): Blob {
    return this.file.slice((n - 1) * this.partSize, Math.min(this.file.size, n * this.partSize));
  }

  /** Starts, resumes after pause, or retries after an error. */
  async start(): Promise<void> {
    if (this.state === "uploading" || this.state === "done" || this.state === "cancelled") return;
    this.state = "uploading";
    this.error = undefined;
    this.changed();
    try {
      if (this.multipart) await this.sendMultipart();
      else await this.sendSingle();
      this.state = "done";
      this.sent = this.file.size;
    } catch (e) {
      this.abortAll();
      if (this.state === "uploading") {
        this.state = e instanceof DOMException && e.name === "AbortError" ? "paused" : "error";
        if (this.state === "error") this.error = e;
      }
    }
    this.inFlight.clear();
    this.changed();
  }

  pause(): void {
    if (this.state !== "uploading") return;
    this.state = "paused";
    this.abortAll();
    this.changed();
  }

  /** Stops for good and, for multipart, aborts the upload so its parts are not kept. */
  async cancel(): Promise<void> {
    const was = this.state;
    this.state = "cancelled";
    this.abortAll();
    this.changed();
    if (this.uploadId && was !== "done")
      await this.s3.send("DELETE", { bucket: this.bucket, key: this.key, query: { uploadId: this.uploadId } }).catch(() => {});
  }

  private abortAll() {
    for (const a of this.aborts) a();
    this.aborts.clear();
  }

  private async xhr(req: Request, body: Blob, onProgress: (n: number) => void): Promise<Sent> {
    let abort = () => {};
    try {
      return await check(await xhrSend(req, body, onProgress, (a) => this.aborts.add((abort = a))));
    } finally {
      this.aborts.delete(abort);
    }
  }

  private async sendSingle() {
    const contentType = (this.file as File).type || "application/octet-stream";
    const req = await this.s3.sign("PUT", { bucket: this.bucket, key: this.key, headers: { "content-type": contentType } });
    this.sent = 0;
    await this.xhr(req, this.file, (n) => {
      this.sent = n;
      this.changed();
    });
  }

  private async sendMultipart() {
    if (!this.uploadId) {
      const contentType = (this.file as File).type || "application/octet-stream";
      const d = await this.s3.xml("POST", { bucket: this.bucket, key: this.key, query: { uploads: "" }, headers: { "content-type": contentType } });
      this.uploadId = d.getElementsByTagName("UploadId")[0]?.textContent ?? "";
      if (!this.uploadId) throw new S3Failure("InternalError", "CreateMultipartUpload returned no upload id.", 0);
    }
    const missing = Array.from({ length: this.partCount }, (_, i) => i + 1).filter((n) => !this.parts.has(n));
    const worker = async () => {
      for (let n = missing.shift(); n !== undefined; n = missing.shift()) {
        if (this.state !== "uploading") throw new DOMException("paused", "AbortError");
        const req = await this.s3.sign("PUT", { bucket: this.bucket, key: this.key, query: { partNumber: String(n), uploadId: this.uploadId } });
        const part = n;
        const sent = await this.xhr(req, this.partBlob(part), (b) => {
          this.inFlight.set(part, b);
          this.changed();
        });
        this.inFlight.delete(part);
        if (!sent.etag) throw new S3Failure("InternalError", `UploadPart ${part} returned no ETag.`, 0);
        this.parts.set(part, sent.etag);
        this.changed();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
    const body = completeMultipartXml([...this.parts].map(([partNumber, etag]) => ({ partNumber, etag })));
    const res = await this.s3.send("POST", { bucket: this.bucket, key: this.key, query: { uploadId: this.uploadId }, body });
    // CompleteMultipartUpload can answer 200 with an <Error> body.
    const text = await res.text();
    if (/<Error>/.test(text)) throw await failureOf(new Response(text, { status: 500 }));
  }
}
