/**
 * CopyObject and UploadPartCopy.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 *
 * Within a zone a copy shares the source's blobs instead of rewriting bytes: blobs are immutable
 * and only deleted once no row refers to them (jobs/blob-deletions.ts), and the commit asserts
 * the source row still exists, so a concurrent delete of the source either happens first (the
 * copy fails with NoSuchKey) or sees the copy's reference. Copies across zones stream the bytes,
 * and so do copies that change the SSE-C key: a blob encrypted under one key cannot serve another.
 * An inline source (bytes in its D1 row) is copied row to row, in any zone, unless the copy is
 * SSE-C encrypted (then its bytes go to an R2 blob under the new key). A blob-backed source stays a
 * blob however small: sharing the blob costs nothing, and a rewrite keeps the source's form.
 */
import { checkCopySourceAccess, checkExpectedBucketOwner } from "../authz";
import { newVersionRow } from "./version-row";
import { lockForWrite } from "./object-lock";
import type { Handler, ObjectContext, UploadContext, WithParams } from "../context";
import { S3Error } from "../errors";
import { evaluatePreconditions, parsePreconditions } from "../logic/conditionals";
import { extractObjectMetadata } from "../logic/metadata";
import { validateObjectKey } from "../logic/names";
import { checkReadKey, type SsecKey } from "../logic/ssec";
import { taggingFromHeader } from "../logic/tags";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import type { StoredBlob } from "../store/blobs-r2";
import type { Bucket, ObjectVersion } from "../store/model";
import { copyResultDocument } from "../xml/multipart";
import { newObjectOwners, newResourceAcl } from "./acl-input";
import { MAX_PART_BYTES, partTarget, recordPart } from "./multipart";
import type { PartParams } from "./params";
import { commitWrite, freesAtOnce } from "./write-path";
import { needsCompaction } from "../jobs/compaction";
import { openObjectBody, type ByteRange } from "./object-body";
import { checkStorageClass, refuseUnsupportedHeaders, writeConditions } from "./object-write";
import { quoteEtag, xmlResponse } from "./respond";
import { requestSsec, setSsecHeaders, writeSsec } from "./ssec-request";

/** Subrequests a copy makes after reading its source: the put, its commit, a failed put's cleanup. */
const REWRITE_RESERVE = 4;

/** S3's limit for a CopyObject that must rewrite bytes. */
const MAX_REWRITE_COPY_BYTES = 5 * 1024 ** 3;

/** `sourceKey`: the x-amz-copy-source-server-side-encryption-customer-* key, already checked against the source. */
export type CopySource = { bucket: Bucket; object: ObjectVersion; versionIdGiven: boolean; sourceKey: SsecKey | null };

/** Parses `x-amz-copy-source: [/]bucket/key[?versionId=id]` (URL-encoded). */
export function parseCopySourceHeader(raw: string): { bucket: string; key: string; versionId: string | null } {
  const [pathPart, query = ""] = raw.split("?", 2);
  let path: string;
  try {
    path = decodeURIComponent(pathPart.replace(/^\//, ""));
  } catch {
    throw new S3Error("copySourceEncoding", undefined, { ArgumentName: "x-amz-copy-source", ArgumentValue: raw });
  }
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error("copySourceForm", undefined, { ArgumentName: "x-amz-copy-source", ArgumentValue: raw });
  }
  const versionId = new URLSearchParams(query).get("versionId");
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), versionId };
}

/** Loads and authorizes the copy source, and applies the x-amz-copy-source-if-* conditions (all 412). */
export async function loadCopySource(ctx: ObjectContext): Promise<CopySource> {
  const parsed = parseCopySourceHeader(ctx.request.headers.get("x-amz-copy-source")!);
  const bucket = parsed.bucket === ctx.bucketName ? ctx.bucket : await ctx.deps.meta.buckets.get(parsed.bucket);
  if (!bucket) throw new S3Error("NoSuchBucket", undefined, { BucketName: parsed.bucket });
  checkExpectedBucketOwner(ctx.request.headers, bucket, "x-amz-source-expected-bucket-owner");
  const object = await ctx.deps.meta.objects.get(bucket.id, parsed.key, parsed.versionId);
  checkCopySourceAccess(ctx, bucket, parsed.key, parsed.versionId, object);
  if (!object) {
    if (parsed.versionId !== null) throw new S3Error("NoSuchVersion", undefined, { Key: parsed.key, VersionId: parsed.versionId });
    throw new S3Error("NoSuchKey", undefined, { Key: parsed.key });
  }
  if (object.isDeleteMarker) {
    if (parsed.versionId !== null) throw new S3Error("copySourceDeleteMarker");
    throw new S3Error("NoSuchKey", undefined, { Key: parsed.key });
  }
  const sourceKey = await requestSsec(ctx, "copy-source");
  checkReadKey(object.ssecKeyMd5, sourceKey);
  const verdict = evaluatePreconditions(parsePreconditions(ctx.request.headers, "x-amz-copy-source-"), {
    etag: object.etag,
    lastModified: new Date(object.lastModified),
  });
  if (verdict.outcome !== "proceed") throw new S3Error("PreconditionFailed", undefined, { Condition: verdict.header });
  return { bucket, object, versionIdGiven: parsed.versionId !== null, sourceKey };
}

function directive(headers: Headers, name: string): "COPY" | "REPLACE" {
  const v = (headers.get(name) ?? "COPY").toUpperCase();
  if (v !== "COPY" && v !== "REPLACE") throw new S3Error("directiveInvalid", { name, value: v }, { ArgumentName: name, ArgumentValue: v });
  return v;
}

/** Streams `range` (or all) of a source object into a fresh blob in the destination zone, under `targetKey`. */
async function rewriteBytes(ctx: ObjectContext, src: CopySource, range: ByteRange | null, targetKey: SsecKey | null): Promise<StoredBlob> {
  const length = range ? range.end - range.start + 1 : src.object.size;
  const body = await openObjectBody(ctx.deps, src.bucket, src.object, range, src.sourceKey?.keyBase64, REWRITE_RESERVE);
  return ctx.deps.blobs.putNew(ctx.bucket.zone, ctx.bucket.id, body, { length, ssecKeyBase64: targetKey?.keyBase64 }, ctx.now);
}

export const copyObject: Handler<ObjectContext> = async (ctx) => {
  const headers = ctx.request.headers;
  validateObjectKey(ctx.key);
  refuseUnsupportedHeaders(headers);
  const ssec = await writeSsec(ctx);
  const src = await loadCopySource(ctx);
  const sameKey = src.object.ssecKeyMd5 === (ssec?.keyMd5 ?? null);
  const metaDirective = directive(headers, "x-amz-metadata-directive");
  const tagDirective = directive(headers, "x-amz-tagging-directive");
  const storageClass = checkStorageClass(headers);
  // COPY (the default) keeps the source version's tags and ignores x-amz-tagging; REPLACE takes the header (none = no tags).
  const tagging = tagDirective === "REPLACE" ? taggingFromHeader(headers) : { tags: src.object.tags, tagCount: src.object.tagCount };
  const sameObject = src.bucket.id === ctx.bucket.id && src.object.key === ctx.key && (!src.versionIdGiven || src.object.isLatest);
  if (sameObject && metaDirective === "COPY" && !headers.has("x-amz-storage-class") && sameKey) {
    throw new S3Error("copyToItself", undefined);
  }
  // The copy gets the ACL of this request's headers (default private), never the source's.
  const owners = newObjectOwners(ctx);
  const acl = await newResourceAcl(ctx, owners, "object", ctx.bucket);
  const conditions = await writeConditions(ctx);
  // The copy's own lock headers or the bucket default; never the source's lock.
  const lock = lockForWrite(ctx, headers, { requireIntegrity: false });
  const metadata = metaDirective === "REPLACE" ? extractObjectMetadata(headers) : { http: src.object.httpMeta, userMeta: src.object.userMeta };
  const o = src.object;
  const inlineCopy = o.inlineBody !== null && ssec === null;
  const share = !inlineCopy && src.bucket.zone === ctx.bucket.zone && sameKey;
  if (!share && !inlineCopy && o.size > MAX_REWRITE_COPY_BYTES) {
    throw new S3Error("copySourceTooLarge", { max: MAX_REWRITE_COPY_BYTES });
  }
  const rewritten = share || inlineCopy ? null : await rewriteBytes(ctx, src, null, ssec);
  const version = newVersionRow(ctx.bucket, ctx.key, ctx.now, {
    size: o.size,
    etag: rewritten ? rewritten.md5Hex : o.etag,
    ownerId: owners.ownerId,
    blobKey: rewritten ? rewritten.blobKey : o.blobKey,
    inlineBody: inlineCopy ? o.inlineBody : null,
    partCount: rewritten ? null : o.partCount,
    httpMeta: metadata.http,
    userMeta: metadata.userMeta,
    checksumAlgorithm: rewritten ? null : o.checksumAlgorithm,
    checksumValue: rewritten ? null : o.checksumValue,
    checksumType: rewritten ? null : o.checksumType,
    ssecKeyMd5: ssec?.keyMd5 ?? null,
    acl,
    ...tagging,
    storageClass,
    lock,
  });
  await commitWrite(
    ctx.deps,
    ctx.bucket.zone,
    rewritten ? [rewritten.blobKey] : [],
    () =>
      ctx.deps.meta.objects.commitCopy(ctx.bucket, version, share ? o.id : null, {
        now: ctx.now,
        ...conditions,
        maxVersions: MAX_VERSIONS_PER_OBJECT,
        reportQueued: freesAtOnce(ctx.deps),
        // A shared manifest not yet compacted is the copy's own manifest: it is compacted on its own.
        compact: share && o.blobKey === null && needsCompaction(ctx.deps.config, o.partCount, version.ssecKeyMd5),
      }),
    version,
  );
  const out = setSsecHeaders(new Headers(), version.ssecKeyMd5);
  if (ctx.bucket.versioning !== null) out.set("x-amz-version-id", version.versionId);
  if (src.bucket.versioning !== null) out.set("x-amz-copy-source-version-id", o.versionId);
  return xmlResponse(
    copyResultDocument("CopyObjectResult", {
      etag: quoteEtag(version.etag),
      lastModified: new Date(ctx.now),
      checksum: version.checksumAlgorithm && version.checksumValue ? { algorithm: version.checksumAlgorithm, value: version.checksumValue } : null,
    }),
    { headers: out },
  );
};

/** `x-amz-copy-source-range: bytes=first-last`, which must lie inside the source. */
function parseCopySourceRange(raw: string | null, size: number): ByteRange | null {
  if (raw === null) return null;
  const m = /^bytes=(\d+)-(\d+)$/.exec(raw.trim());
  if (!m) throw new S3Error("copySourceRangeInvalid", undefined, { ArgumentName: "x-amz-copy-source-range", ArgumentValue: raw });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end || end >= size) throw new S3Error("InvalidRange", undefined, { RangeRequested: raw, ActualObjectSize: size });
  return { start, end };
}

export const uploadPartCopy: Handler<WithParams<UploadContext, PartParams>> = async (ctx) => {
  const { upload, partNumber, ssec } = await partTarget(ctx);
  const src = await loadCopySource(ctx);
  const range = parseCopySourceRange(ctx.request.headers.get("x-amz-copy-source-range"), src.object.size);
  const length = range ? range.end - range.start + 1 : src.object.size;
  if (length > MAX_PART_BYTES) throw new S3Error("entityTooLarge", { size: length, max: MAX_PART_BYTES, limit: "the largest part" });
  // A whole single-blob source in the same zone under the upload's key is shared; anything else is streamed.
  // A compacted multipart object has one blob too, but its ETag is not the MD5 a part's ETag must be.
  const shareable =
    range === null &&
    src.object.blobKey !== null &&
    src.object.partCount === null &&
    src.bucket.zone === ctx.bucket.zone &&
    src.object.ssecKeyMd5 === upload.ssecKeyMd5;
  const stored = shareable ? { blobKey: src.object.blobKey!, md5Hex: src.object.etag, size: src.object.size } : await rewriteBytes(ctx, src, range, ssec);
  await recordPart(
    ctx,
    {
      uploadId: upload.id,
      partNumber,
      blobKey: stored.blobKey,
      size: stored.size,
      etag: stored.md5Hex,
      checksumValue: null,
      uploadedAt: ctx.now,
    },
    shareable ? src.object.id : undefined,
  );
  const out = setSsecHeaders(new Headers(), upload.ssecKeyMd5);
  if (src.bucket.versioning !== null) out.set("x-amz-copy-source-version-id", src.object.versionId);
  return xmlResponse(copyResultDocument("CopyPartResult", { etag: quoteEtag(stored.md5Hex), lastModified: new Date(ctx.now) }), { headers: out });
};
