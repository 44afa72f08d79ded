/**
 * PutObject (and POST Object's write): streams the body into a fresh blob, then commits the
 * version in one D1 batch (the write path, ops/write-path.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 */
import type { Handler, ObjectContext } from "../context";
import { newVersionRow } from "./version-row";
import { S3Error } from "../errors";
import { checkWritePreconditions } from "../logic/conditionals";
import { extractObjectMetadata } from "../logic/metadata";
import { validateObjectKey } from "../logic/names";
import { taggingFromHeader } from "../logic/tags";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { quoteEtag, unquoteEtag } from "./respond";
import { newObjectOwners, newResourceAcl } from "./acl-input";
import { setSsecHeaders, writeSsec } from "./ssec-request";
import { storeObjectBody } from "./upload-body";
import { commitWrite, freesAtOnce } from "./write-path";
import { setExpirationHeader } from "./lifecycle";
import { lockForWrite } from "./object-lock";

/**
 * Conditional writes (If-None-Match: *, If-Match: <etag>): refused early against the current
 * version when they already fail, and returned as flags the commit re-checks atomically.
 */
export async function writeConditions(ctx: ObjectContext, headers = ctx.request.headers): Promise<{ ifNoneMatchStar?: boolean; ifMatchEtag?: string }> {
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

/** What PutObject and POST Object answer with. */
export type WrittenObject = {
  etag: string;
  /** set when the bucket has versioning (Enabled or Suspended) */
  versionId?: string;
  checksum: { algorithm: string; value: string } | null;
  ssecKeyMd5: string | null;
  sseAes256: boolean;
  /** x-amz-expiration, when a lifecycle rule will expire the new version */
  expiration: string | null;
};

/**
 * Writes the request body as a new version of `ctx.key`, as described by `headers` (the request's,
 * or a POST form's fields): metadata, ACL, tags, SSE-C, conditions, checksums. Shared by PutObject
 * and POST Object; follows the write path (ops/write-path.ts).
 */
export async function writeObject(ctx: ObjectContext, headers: Headers): Promise<WrittenObject> {
  const { bucket, key } = ctx;
  validateObjectKey(key);
  refuseUnsupportedHeaders(headers);
  const ssec = await writeSsec(ctx, headers);
  const metadata = extractObjectMetadata(headers);
  const storageClass = checkStorageClass(headers);
  const tagging = taggingFromHeader(headers);
  const owners = newObjectOwners(ctx, headers);
  const acl = await newResourceAcl(ctx, owners, "object", ctx.bucket, headers);
  const conditions = await writeConditions(ctx, headers);
  const lock = lockForWrite(ctx, headers, { requireIntegrity: true });

  const stored = await storeObjectBody(ctx, { zone: bucket.zone, bucketId: bucket.id, ssecKeyBase64: ssec?.keyBase64, headers, acceptUnknownLength: true });
  const version = newVersionRow(bucket, key, ctx.now, {
    size: stored.size,
    etag: stored.md5Hex,
    ownerId: owners.ownerId,
    blobKey: stored.blobKey,
    inlineBody: stored.blobKey === null ? stored.inlineBody : null,
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
    lock,
  });
  await commitWrite(
    ctx.deps,
    bucket.zone,
    stored.blobKey === null ? [] : [stored.blobKey],
    () =>
      ctx.deps.meta.objects.commit(bucket, version, {
        now: ctx.now,
        ...conditions,
        maxVersions: MAX_VERSIONS_PER_OBJECT,
        reportQueued: freesAtOnce(ctx.deps),
      }),
    version,
  );
  return {
    etag: stored.md5Hex,
    versionId: bucket.versioning !== null ? version.versionId : undefined,
    checksum: stored.checksum,
    ssecKeyMd5: version.ssecKeyMd5,
    sseAes256: headers.get("x-amz-server-side-encryption") === "AES256",
    expiration: setExpirationHeader(new Headers(), bucket, { ...version, isLatest: true }).get("x-amz-expiration"),
  };
}

/** The response headers of a written object (ETag, version id, checksum, encryption). */
export function writtenObjectHeaders(w: WrittenObject): Headers {
  const out = new Headers({ etag: quoteEtag(w.etag) });
  if (w.versionId !== undefined) out.set("x-amz-version-id", w.versionId);
  if (w.checksum) out.set(`x-amz-checksum-${w.checksum.algorithm.toLowerCase()}`, w.checksum.value);
  if (w.sseAes256) out.set("x-amz-server-side-encryption", "AES256");
  if (w.expiration) out.set("x-amz-expiration", w.expiration);
  return setSsecHeaders(out, w.ssecKeyMd5);
}

export const putObject: Handler<ObjectContext> = async (ctx) =>
  new Response(null, { status: 200, headers: writtenObjectHeaders(await writeObject(ctx, ctx.request.headers)) });
