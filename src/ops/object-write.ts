/**
 * PutObject: streams the body into a fresh blob, then commits the version in one D1 batch.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import type { Handler, ObjectContext } from "../context";
import { newVersionRow } from "./version-row";
import { S3Error } from "../errors";
import { deleteUnreferencedBlobs } from "../jobs/blob-deletions";
import { checkWritePreconditions } from "../logic/conditionals";
import { extractObjectMetadata } from "../logic/metadata";
import { validateObjectKey } from "../logic/names";
import { taggingFromHeader } from "../logic/tags";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { quoteEtag, unquoteEtag } from "./respond";
import { newObjectOwners, newResourceAcl } from "./acl-input";
import { setSsecHeaders, writeSsec } from "./ssec-request";
import { storeRequestBody } from "./upload-body";

/**
 * Conditional writes (If-None-Match: *, If-Match: <etag>): refused early against the current
 * version when they already fail, and returned as flags the commit re-checks atomically.
 */
export async function writeConditions(ctx: ObjectContext): Promise<{ ifNoneMatchStar?: boolean; ifMatchEtag?: string }> {
  const headers = ctx.request.headers;
  const ifNoneMatch = headers.get("if-none-match");
  const ifMatch = headers.get("if-match");
  if (ifNoneMatch === null && ifMatch === null) return {};
  const current = await ctx.deps.meta.objects.get(ctx.bucket.id, ctx.key);
  checkWritePreconditions(headers, current && !current.isDeleteMarker ? current : null);
  return { ifNoneMatchStar: ifNoneMatch !== null || undefined, ifMatchEtag: ifMatch !== null ? unquoteEtag(ifMatch) : undefined };
}

export function checkStorageClass(headers: Headers): string {
  const sc = headers.get("x-amz-storage-class") ?? "STANDARD";
  if (sc !== "STANDARD") throw new S3Error("InvalidStorageClass", undefined, { StorageClassRequested: sc });
  return sc;
}

/** Features announced by headers that this deployment does not offer (SSE-KMS). SSE-C: ssec-request.ts. */
export function refuseUnsupportedHeaders(headers: Headers): void {
  const sse = headers.get("x-amz-server-side-encryption");
  if (sse !== null && sse !== "AES256") throw new S3Error("sseKmsUnsupported", undefined, { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: sse });
}

export const putObject: Handler<ObjectContext> = async (ctx) => {
  const { bucket, key } = ctx;
  const headers = ctx.request.headers;
  validateObjectKey(key);
  refuseUnsupportedHeaders(headers);
  const ssec = await writeSsec(ctx);
  const metadata = extractObjectMetadata(headers);
  const storageClass = checkStorageClass(headers);
  const tagging = taggingFromHeader(headers);
  const acl = await newResourceAcl(ctx, newObjectOwners(ctx), "object");
  const conditions = await writeConditions(ctx);

  const stored = await storeRequestBody(ctx, bucket.zone, bucket.id, undefined, ssec?.keyBase64);
  const version = newVersionRow(bucket, key, ctx.now, {
    size: stored.size,
    etag: stored.md5Hex,
    ownerId: ctx.principal.kind === "user" ? ctx.principal.user.id : bucket.ownerId,
    blobKey: stored.blobKey,
    partCount: null,
    httpMeta: metadata.http,
    userMeta: metadata.userMeta,
    checksumAlgorithm: stored.checksum?.algorithm ?? null,
    checksumValue: stored.checksum?.value ?? null,
    checksumType: stored.checksum ? "FULL_OBJECT" : null,
    ssecKeyMd5: ssec?.keyMd5 ?? null,
    acl,
    ...tagging,
    storageClass,
  });
  let superseded: string[];
  try {
    superseded = await ctx.deps.meta.objects.commit(bucket, version, { now: ctx.now, ...conditions, maxVersions: MAX_VERSIONS_PER_OBJECT });
  } catch (e) {
    ctx.deps.defer(ctx.deps.blobs.delete(bucket.zone, [stored.blobKey]));
    throw e;
  }
  if (superseded.length) ctx.deps.defer(deleteUnreferencedBlobs(ctx.deps, superseded.map((blobKey) => ({ zone: bucket.zone, blobKey }))));

  const out = new Headers({ etag: quoteEtag(stored.md5Hex) });
  if (bucket.versioning !== null) out.set("x-amz-version-id", version.versionId);
  if (stored.checksum) out.set(`x-amz-checksum-${stored.checksum.algorithm.toLowerCase()}`, stored.checksum.value);
  if (headers.get("x-amz-server-side-encryption") === "AES256") out.set("x-amz-server-side-encryption", "AES256");
  setSsecHeaders(out, version.ssecKeyMd5);
  return new Response(null, { status: 200, headers: out });
};
