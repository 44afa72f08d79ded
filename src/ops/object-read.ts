/**
 * GetObject and HeadObject: conditionals (304/412), Range (206/416), partNumber,
 * response-* overrides, checksum mode.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
import { mayCallOwnerOperation } from "../authz";
import type { Handler, VersionBytesContext, VersionContext, WithParams } from "../context";
import { S3Error } from "../errors";
import { evaluatePreconditions, parsePreconditions } from "../logic/conditionals";
import { responseHeadersFor } from "../logic/metadata";
import { contentRangeHeader, parseRange } from "../logic/range";
import { checkReadKey } from "../logic/ssec";
import type { Bucket, VersionMeta } from "../store/model";
import type { ReadObjectParams } from "./params";
import { inlineBytes, openObjectBody, responseBody, type ByteRange } from "./object-body";
import { requestSsec, setSsecHeaders } from "./ssec-request";
import { httpDate, quoteEtag } from "./respond";
import { lockResponseHeaders } from "../logic/object-lock";
import { setExpirationHeader } from "./lifecycle";

/** HEAD has the version's row without an inline object's bytes; GET has them too. */
type ReadContext = WithParams<VersionContext, ReadObjectParams>;
type GetContext = WithParams<VersionBytesContext, ReadObjectParams>;

/** Headers describing a stored object version, shared by GET, HEAD and the copy/put answers. */
export function objectHeaders(bucket: Bucket, obj: VersionMeta, overrides: URLSearchParams | null = null): Headers {
  const h = new Headers(responseHeadersFor({ userMeta: obj.userMeta, http: obj.httpMeta }, overrides));
  h.set("etag", quoteEtag(obj.etag));
  h.set("last-modified", httpDate(obj.lastModified));
  h.set("accept-ranges", "bytes");
  if (bucket.versioning !== null) h.set("x-amz-version-id", obj.versionId);
  if (obj.tagCount > 0) h.set("x-amz-tagging-count", String(obj.tagCount));
  if (obj.storageClass !== "STANDARD") h.set("x-amz-storage-class", obj.storageClass);
  if (obj.replicationStatus !== null) h.set("x-amz-replication-status", obj.replicationStatus);
  setSsecHeaders(h, obj.ssecKeyMd5);
  for (const [k, v] of Object.entries(lockResponseHeaders(obj.lock))) h.set(k, v);
  return setExpirationHeader(h, bucket, obj);
}

/** The byte range a GET/HEAD asks for: partNumber or Range header, or null for the whole object. */
async function requestedRange(ctx: ReadContext, obj: VersionMeta, h: Headers): Promise<ByteRange | null> {
  const n = ctx.params.partNumber;
  const header = ctx.request.headers.get("range");
  if (n !== null) {
    // S3: a part read cannot also be ranged (400); a part that is not there is 416 InvalidPartNumber.
    if (header !== null) throw new S3Error("partNumberWithRange");
    const outOfRange = () => new S3Error("InvalidPartNumber", undefined, { PartNumberRequested: n, ActualPartCount: obj.partCount ?? 1 });
    if (obj.partCount === null) {
      if (n !== 1) throw outOfRange();
      return null;
    }
    h.set("x-amz-mp-parts-count", String(obj.partCount));
    const part = (await ctx.deps.meta.objects.parts(obj.id)).find((p) => p.partNumber === n);
    if (!part) throw outOfRange();
    return part.size === 0 ? null : { start: part.startOffset, end: part.startOffset + part.size - 1 };
  }
  return header === null ? null : parseRange(header, obj.size);
}

/**
 * S3 shows a version's retention (x-amz-object-lock-mode, -retain-until-date) only to callers who
 * may call GetObjectRetention, and its legal hold only to those who may call GetObjectLegalHold.
 */
function hideUnreadableLock(ctx: ReadContext, obj: VersionMeta, h: Headers): void {
  if (obj.lock.retention && !mayCallOwnerOperation(ctx, ctx.bucket, "GetObjectRetention", ctx.key, obj.tags)) {
    h.delete("x-amz-object-lock-mode");
    h.delete("x-amz-object-lock-retain-until-date");
  }
  if (obj.lock.legalHold !== null && !mayCallOwnerOperation(ctx, ctx.bucket, "GetObjectLegalHold", ctx.key, obj.tags)) h.delete("x-amz-object-lock-legal-hold");
}

/** What GET and HEAD answer alike: the status, headers and byte range of the response, or a finished 304. */
type ReadAnswer = { status: 200 | 206; headers: Headers; range: ByteRange | null; length: number; ssecKeyBase64?: string };

async function answerRead(ctx: ReadContext): Promise<ReadAnswer | Response> {
  const ssec = await requestSsec(ctx);
  const obj = ctx.version;
  checkReadKey(obj.ssecKeyMd5, ssec);
  const headers = objectHeaders(ctx.bucket, obj, ctx.params.overrides);
  hideUnreadableLock(ctx, obj, headers);

  const verdict = evaluatePreconditions(parsePreconditions(ctx.request.headers), { etag: obj.etag, lastModified: new Date(obj.lastModified) });
  if (verdict.outcome === "not-modified") {
    return new Response(null, { status: 304, headers: pick(headers, ["etag", "last-modified", "x-amz-version-id", "cache-control", "expires"]) });
  }
  if (verdict.outcome === "precondition-failed") throw new S3Error("PreconditionFailed", undefined, { Condition: verdict.header });

  const range = await requestedRange(ctx, obj, headers);
  // The stored checksum covers the whole object: never attach it to a partial response.
  if (range === null && ctx.request.headers.get("x-amz-checksum-mode")?.toUpperCase() === "ENABLED" && obj.checksumAlgorithm && obj.checksumValue) {
    headers.set(`x-amz-checksum-${obj.checksumAlgorithm.toLowerCase()}`, obj.checksumValue);
    if (obj.checksumType) headers.set("x-amz-checksum-type", obj.checksumType);
  }

  const length = range ? range.end - range.start + 1 : obj.size;
  headers.set("content-length", String(length));
  const status = range ? 206 : 200;
  if (range) headers.set("content-range", contentRangeHeader(range.start, range.end, obj.size));
  return { status, headers, range, length, ssecKeyBase64: ssec?.keyBase64 };
}

function pick(h: Headers, names: string[]): Headers {
  const out = new Headers();
  for (const n of names) {
    const v = h.get(n);
    if (v !== null) out.set(n, v);
  }
  return out;
}

export const getObject: Handler<GetContext> = async (ctx) => {
  const answer = await answerRead(ctx);
  if (answer instanceof Response) return answer;
  const { status, headers, range, length } = answer;
  const obj = ctx.version;
  const inline = inlineBytes(obj, range);
  if (inline) return new Response(inline, { status, headers, encodeBody: "manual" });
  const body = await openObjectBody(ctx.deps, ctx.bucket, obj, range, answer.ssecKeyBase64);
  return new Response(responseBody(obj, body, length), { status, headers, encodeBody: "manual" });
};

export const headObject: Handler<ReadContext> = async (ctx) => {
  const answer = await answerRead(ctx);
  return answer instanceof Response ? answer : new Response(null, { status: answer.status, headers: answer.headers });
};
