/**
 * Query-parameter parsers, one per operation that takes parameters, named by the operation's row
 * in src/operations.ts (`params`). The pipeline runs the parser after the bucket is authorized and
 * before anything else is loaded, so handlers get their parameters typed and validated in
 * `ctx.params` and never read the query string themselves. Invalid values answer as S3 does
 * (InvalidArgument with ArgumentName / ArgumentValue).
 */
import type { RequestContext } from "../context";
import { S3Error } from "../errors";
import { hasResponseOverrides, RESPONSE_OVERRIDES } from "../logic/metadata";
import { isWellFormedVersionId } from "../logic/versioning";
import { decodeContinuationToken } from "../logic/pagination";

/**
 * ListBuckets: max-buckets 1..10000; without it a request that names prefix, bucket-region or
 * continuation-token gets pages of 10,000 (S3's default), and one without any of them every bucket.
 */
export const listBucketsParams = (ctx: RequestContext) => {
  const q = query(ctx);
  const raw = q.get("max-buckets");
  const paged = raw !== null || q.has("prefix") || q.has("bucket-region") || q.has("continuation-token");
  let maxBuckets = paged ? MAX_BUCKETS_PAGE : null;
  if (raw !== null) {
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Math.abs(Number(raw)) > 2 ** 31 - 1) {
      throw new S3Error("notAnInteger", { name: "max-buckets" }, { ArgumentName: "max-buckets", ArgumentValue: raw });
    }
    maxBuckets = Number(raw);
    if (maxBuckets < 1 || maxBuckets > MAX_BUCKETS_PAGE) throw new S3Error("maxBucketsRange", undefined, { ArgumentName: "max-buckets", ArgumentValue: raw });
  }
  const token = q.get("continuation-token");
  return {
    maxBuckets,
    prefix: q.get("prefix") ?? undefined,
    bucketRegion: q.get("bucket-region") || undefined,
    after: token === null || token === "" ? "" : decodeContinuationToken(token),
  };
};
export type ListBucketsParams = ReturnType<typeof listBucketsParams>;
const MAX_BUCKETS_PAGE = 10_000;

/** S3's part numbers: 1..10000. */
export const MAX_PARTS = 10_000;

/** The `versionId` query parameter, validated: "null" or one of our ids; null when absent (the current version). */
export function requestedVersionId(q: URLSearchParams): string | null {
  const v = q.get("versionId");
  if (v === null) return null;
  if (isWellFormedVersionId(v)) return v;
  throw new S3Error("versionIdInvalid", undefined, { ArgumentName: "versionId", ArgumentValue: v });
}

function partNumberFrom(raw: string | null): number {
  if (raw === null || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PARTS) {
    throw new S3Error("partNumberInvalid", undefined, { ArgumentName: "partNumber", ArgumentValue: raw ?? "" });
  }
  return Number(raw);
}

/** A non-negative integer parameter capped at `max`, or `fallback` when absent or empty. */
function boundedInt(q: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new S3Error("notAnInteger", { name }, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(Number(raw), max);
}

function encodingType(q: URLSearchParams): "url" | undefined {
  const e = q.get("encoding-type");
  if (e === null) return undefined;
  if (e.toLowerCase() !== "url") throw new S3Error("encodingTypeInvalid", undefined, { ArgumentName: "encoding-type", ArgumentValue: e });
  return "url";
}

/** The parameters every object listing shares: prefix, delimiter, max-keys, encoding-type. */
function listing(q: URLSearchParams) {
  return {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") || undefined,
    maxKeys: boundedInt(q, "max-keys", 1000, 1000),
    encodingType: encodingType(q),
  };
}

const query = (ctx: RequestContext) => ctx.url.searchParams;

export const listObjectsParams = (ctx: RequestContext) => ({ ...listing(query(ctx)), marker: query(ctx).get("marker") ?? "" });
export type ListObjectsParams = ReturnType<typeof listObjectsParams>;

export const listObjectsV2Params = (ctx: RequestContext) => {
  const q = query(ctx);
  return {
    ...listing(q),
    continuationToken: q.get("continuation-token") ?? undefined,
    startAfter: q.get("start-after") ?? undefined,
    fetchOwner: q.get("fetch-owner") === "true",
  };
};
export type ListObjectsV2Params = ReturnType<typeof listObjectsV2Params>;

/** key-marker / version-id-marker, checked in S3's order (the handler resolves the version marker to its place). */
export const listObjectVersionsParams = (ctx: RequestContext) => {
  const q = query(ctx);
  const keyMarker = q.get("key-marker") ?? "";
  const versionIdMarker = q.get("version-id-marker");
  if (versionIdMarker !== null) {
    const invalid = (reason: "versionIdMarkerWithoutKeyMarker" | "versionIdMarkerEmpty" | "versionIdInvalid") =>
      new S3Error(reason, undefined, { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker });
    if (keyMarker === "") throw invalid("versionIdMarkerWithoutKeyMarker");
    if (versionIdMarker === "") throw invalid("versionIdMarkerEmpty");
    if (!isWellFormedVersionId(versionIdMarker)) throw invalid("versionIdInvalid");
  }
  return { ...listing(q), keyMarker, versionIdMarker };
};
export type ListObjectVersionsParams = ReturnType<typeof listObjectVersionsParams>;

export const listMultipartUploadsParams = (ctx: RequestContext) => {
  const q = query(ctx);
  const keyMarker = q.get("key-marker") ?? "";
  return {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") || undefined,
    maxUploads: boundedInt(q, "max-uploads", 1000, 1000),
    encodingType: q.get("encoding-type") === "url" ? ("url" as const) : undefined,
    keyMarker,
    // S3 ignores upload-id-marker without a key-marker.
    uploadIdMarker: keyMarker ? (q.get("upload-id-marker") ?? "") : "",
  };
};
export type ListMultipartUploadsParams = ReturnType<typeof listMultipartUploadsParams>;

export const listPartsParams = (ctx: RequestContext) => ({
  maxParts: boundedInt(query(ctx), "max-parts", 1000, 1000),
  partNumberMarker: boundedInt(query(ctx), "part-number-marker", 0, MAX_PARTS),
});
export type ListPartsParams = ReturnType<typeof listPartsParams>;

/** UploadPart and UploadPartCopy. */
export const partParams = (ctx: RequestContext) => ({ partNumber: partNumberFrom(query(ctx).get("partNumber")) });
export type PartParams = ReturnType<typeof partParams>;

/** DeleteObject: the version to remove, or null (the bucket's versioning rules decide). */
export const deleteObjectParams = (ctx: RequestContext) => ({ versionId: requestedVersionId(query(ctx)) });
export type DeleteObjectParams = ReturnType<typeof deleteObjectParams>;

/**
 * GetObject / HeadObject: `partNumber` and the `response-*` header overrides, which S3 refuses on
 * anonymous requests. (`versionId` is the pipeline's: it loads that version.)
 */
export const readObjectParams = (ctx: RequestContext) => {
  const q = query(ctx);
  const asked = hasResponseOverrides(q);
  if (asked && ctx.principal.kind === "anonymous") throw new S3Error("anonymousResponseHeaders");
  // null (the usual case): no response-* parameter to apply
  let overrides: URLSearchParams | null = null;
  for (const name of asked ? Object.keys(RESPONSE_OVERRIDES) : []) {
    const v = q.get(name);
    if (v !== null) (overrides ??= new URLSearchParams()).set(name, v);
  }
  const part = q.get("partNumber");
  return { partNumber: part === null ? null : partNumberFrom(part), overrides };
};
export type ReadObjectParams = ReturnType<typeof readObjectParams>;
