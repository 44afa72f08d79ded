/**
 * Multipart uploads. Each S3 part is its own blob (R2 multipart would demand equal part sizes,
 * S3 does not), and completing an upload is a metadata operation: the chosen parts become the
 * object's manifest in D1 in one batch; no bytes are copied. A manifest with more parts than one
 * request may read is queued, in that batch, for compaction into one blob (src/jobs/compaction.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
import { readXmlBody } from "./request-body";
import { newVersionRow } from "./version-row";
import { checkUploadAccess } from "../authz";
import type { BucketContext, Handler, ObjectContext, UploadContext, WithParams } from "../context";
import { S3Error } from "../errors";
import { drainBlobDeletions } from "../jobs/blob-deletions";
import { needsCompaction } from "../jobs/compaction";
import { checksumHeaderName, checksumMismatch, checksumValuesEqual, createChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm } from "../logic/checksums";
import { combineCrcParts, isCrcAlgorithm } from "../logic/crc-combine";
import { lockForWrite } from "./object-lock";
import { fromBase64, toHex } from "../logic/encoding";
import { newUploadId } from "../logic/ids";
import { extractObjectMetadata } from "../logic/metadata";
import { validateObjectKey } from "../logic/names";
import type { Requirement } from "../operations";
import { checkPartKey, type SsecKey } from "../logic/ssec";
import { tagsFromHeader } from "../logic/tags";
import { MAX_VERSIONS_PER_OBJECT } from "../logic/versioning";
import { listUploadsPage } from "../logic/upload-listing";
import type { MetaStore } from "../store/d1";
import type { CompletedUpload, MultipartUpload, UploadPart } from "../store/model";
import { COMPLETED_UPLOAD_MEMORY_MS } from "../store/d1/uploads";
import {
  completeMultipartUploadDocument,
  initiateMultipartUploadDocument,
  listMultipartUploadsDocument,
  listPartsDocument,
  parseCompleteMultipartUpload,
} from "../xml/multipart";
import { newObjectOwners, newResourceAcl } from "./acl-input";
import type { ListMultipartUploadsParams, ListPartsParams, PartParams } from "./params";
import { checkStorageClass, refuseUnsupportedHeaders, writeConditions } from "./object-write";
import { empty, quoteEtag, unquoteEtag, xmlResponse } from "./respond";
import { requestSsec, setSsecHeaders, writeSsec } from "./ssec-request";
import { storeRequestBody } from "./upload-body";
import { commitWrite, discardUncommitted, freeBlobs, freesAtOnce } from "./write-path";

export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_OBJECT_BYTES = 4 * 1024 ** 4;

/** The upload named by ?uploadId for this bucket and key, or NoSuchUpload (the pipeline's `loads: "upload"`); ListParts and Abort are the initiator's or the bucket owner's. */
export async function findUpload(ctx: ObjectContext, uploadId: string, req: Requirement): Promise<MultipartUpload> {
  const upload = uploadId ? await ctx.deps.meta.uploads.get(ctx.bucket.id, ctx.key, uploadId) : null;
  if (!upload) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
  checkUploadAccess(ctx, ctx.bucket, req, upload);
  return upload;
}

async function ownerOf(meta: MetaStore, id: string) {
  return { id, displayName: (await meta.users.get(id))?.displayName ?? "" };
}

/**
 * The upload's checksum: x-amz-checksum-algorithm and x-amz-checksum-type, as S3 pairs them.
 * COMPOSITE (a checksum of the part checksums) is the default, except for CRC64NVME, which is
 * FULL_OBJECT only; FULL_OBJECT (the CRC of the whole object) exists for the CRCs only.
 */
function uploadChecksum(headers: Headers): { checksumAlgorithm: ChecksumAlgorithm | null; checksumType: "COMPOSITE" | "FULL_OBJECT" | null } {
  const algoHeader = headers.get("x-amz-checksum-algorithm");
  const checksumAlgorithm = algoHeader ? parseChecksumAlgorithm(algoHeader) : null;
  const typeHeader = headers.get("x-amz-checksum-type")?.trim().toUpperCase() ?? null;
  if (typeHeader !== null && typeHeader !== "COMPOSITE" && typeHeader !== "FULL_OBJECT") throw new S3Error("checksumTypeInvalid");
  if (checksumAlgorithm === null) {
    if (typeHeader !== null) throw new S3Error("checksumTypeWithoutAlgorithm");
    return { checksumAlgorithm, checksumType: null };
  }
  const checksumType = typeHeader ?? (checksumAlgorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
  if (checksumType === "FULL_OBJECT" && !isCrcAlgorithm(checksumAlgorithm)) throw new S3Error("fullObjectChecksumNeedsCrc", { algorithm: checksumAlgorithm });
  if (checksumType === "COMPOSITE" && checksumAlgorithm === "CRC64NVME") throw new S3Error("compositeChecksumUnsupported", { algorithm: checksumAlgorithm });
  return { checksumAlgorithm, checksumType };
}

export const createMultipartUpload: Handler<ObjectContext> = async (ctx) => {
  const headers = ctx.request.headers;
  validateObjectKey(ctx.key);
  refuseUnsupportedHeaders(headers);
  const ssec = await writeSsec(ctx);
  const metadata = extractObjectMetadata(headers);
  const storageClass = checkStorageClass(headers);
  const { checksumAlgorithm, checksumType } = uploadChecksum(headers);
  const lock = lockForWrite(ctx, headers, { requireIntegrity: false });
  const principalId = ctx.principal.kind === "user" ? ctx.principal.user.id : ctx.bucket.ownerId;
  // Resolved now (unknown grantees fail here, not at Complete), applied by CompleteMultipartUpload.
  const owners = newObjectOwners(ctx);
  const acl = await newResourceAcl(ctx, owners, "object", ctx.bucket);
  const upload: MultipartUpload = {
    id: newUploadId(ctx.now),
    bucketId: ctx.bucket.id,
    key: ctx.key,
    initiatedAt: ctx.now,
    ownerId: owners.ownerId,
    initiatorId: principalId,
    httpMeta: metadata.http,
    userMeta: metadata.userMeta,
    checksumAlgorithm,
    checksumType,
    ssecKeyMd5: ssec?.keyMd5 ?? null,
    acl,
    // Validated now, applied by CompleteMultipartUpload.
    tags: tagsFromHeader(headers),
    storageClass,
    lock,
  };
  await ctx.deps.meta.uploads.create(upload);
  const out = setSsecHeaders(new Headers(), upload.ssecKeyMd5);
  if (checksumAlgorithm && checksumType) {
    out.set("x-amz-checksum-algorithm", checksumAlgorithm);
    out.set("x-amz-checksum-type", checksumType);
  }
  return xmlResponse(initiateMultipartUploadDocument({ bucket: ctx.bucketName, key: ctx.key, uploadId: upload.id }), { headers: out });
};

/**
 * Records a stored part, freeing the blob of any earlier upload of the same part number. A part
 * that shares a copy source's blob names that source's row: the commit then requires it to still
 * exist, and a failed commit leaves the blob alone (it is the source's, not ours to delete).
 */
export async function recordPart(ctx: ObjectContext, part: UploadPart, sharedFromObjectId?: string): Promise<void> {
  const stored = sharedFromObjectId === undefined ? [part.blobKey] : [];
  await commitWrite(ctx.deps, ctx.bucket.zone, stored, () => ctx.deps.meta.uploads.putPart(ctx.bucket.zone, part, { sharedFromObjectId }));
}

/** UploadPart and UploadPartCopy: the upload, the part number and the SSE-C key, which must be the upload's. */
export async function partTarget(ctx: WithParams<UploadContext, PartParams>): Promise<{ upload: MultipartUpload; partNumber: number; ssec: SsecKey | null }> {
  const ssec = await requestSsec(ctx);
  checkPartKey(ctx.upload.ssecKeyMd5, ssec);
  return { upload: ctx.upload, partNumber: ctx.params.partNumber, ssec };
}

export const uploadPart: Handler<WithParams<UploadContext, PartParams>> = async (ctx) => {
  const { upload, partNumber, ssec } = await partTarget(ctx);
  if ((ctx.body?.length ?? 0) > MAX_PART_BYTES)
    throw new S3Error("entityTooLarge", { size: ctx.body!.length!, max: MAX_PART_BYTES, limit: "the largest part" });
  const stored = await storeRequestBody(ctx, {
    zone: ctx.bucket.zone,
    bucketId: ctx.bucket.id,
    defaultAlgorithm: upload.checksumAlgorithm as never,
    ssecKeyBase64: ssec?.keyBase64,
  });
  if (upload.checksumAlgorithm && stored.checksum && stored.checksum.algorithm !== upload.checksumAlgorithm) {
    discardUncommitted(ctx.deps, ctx.bucket.zone, [stored.blobKey]);
    throw new S3Error("partChecksumTypeMismatch", { expected: upload.checksumAlgorithm.toLowerCase(), actual: stored.checksum.algorithm.toLowerCase() });
  }
  await recordPart(ctx, {
    uploadId: upload.id,
    partNumber,
    blobKey: stored.blobKey,
    size: stored.size,
    etag: stored.md5Hex,
    checksumValue: stored.checksum?.value ?? null,
    uploadedAt: ctx.now,
  });
  const out = setSsecHeaders(new Headers({ etag: quoteEtag(stored.md5Hex) }), upload.ssecKeyMd5);
  if (stored.checksum) out.set(`x-amz-checksum-${stored.checksum.algorithm.toLowerCase()}`, stored.checksum.value);
  return empty(200, out);
};

const hexToBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** S3's multipart ETag: MD5 of the concatenated binary part MD5s, then "-<part count>". */
export async function multipartEtag(partEtags: string[]): Promise<string> {
  const all = new Uint8Array(partEtags.length * 16);
  for (const [i, e] of partEtags.entries()) all.set(hexToBytes(e), i * 16);
  const digest = new Uint8Array(await crypto.subtle.digest("MD5", all));
  return `${toHex(digest)}-${partEtags.length}`;
}

/** COMPOSITE checksum: the algorithm over the concatenated binary part checksums, then "-<count>". */
async function compositeChecksum(algorithm: string, partValues: string[]): Promise<string> {
  const sum = createChecksum(parseChecksumAlgorithm(algorithm));
  for (const v of partValues) sum.update(fromBase64(v)!);
  return `${await sum.digest()}-${partValues.length}`;
}

/** The completed object's checksum: COMPOSITE over the part checksums, or the combined full-object CRC (no bytes re-read). */
async function objectChecksum(algorithm: string, type: "COMPOSITE" | "FULL_OBJECT", parts: UploadPart[]): Promise<string> {
  if (type === "FULL_OBJECT" && isCrcAlgorithm(algorithm))
    return combineCrcParts(
      algorithm,
      parts.map((p) => ({ checksum: p.checksumValue!, size: p.size })),
    );
  return compositeChecksum(
    algorithm,
    parts.map((p) => p.checksumValue!),
  );
}

/**
 * CompleteMultipartUpload. A retry of a completion that succeeded (the client lost the answer)
 * gets the same answer again for COMPLETED_UPLOAD_MEMORY_MS, instead of NoSuchUpload: the upload
 * is looked up here rather than by the pipeline so that a finished one can still be answered.
 * The ACL requirement (bucket WRITE) was checked by the pipeline.
 */
export const completeMultipartUpload: Handler<ObjectContext> = async (ctx) => {
  const uploadId = ctx.endpoint.query.get("uploadId") ?? "";
  const upload = uploadId ? await ctx.deps.meta.uploads.get(ctx.bucket.id, ctx.key, uploadId) : null;
  try {
    if (!upload) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
    return await completeUpload({ ...ctx, upload });
  } catch (e) {
    // Also when a concurrent retry completed the upload between our read and our commit.
    if (!(e instanceof S3Error && e.code === "NoSuchUpload")) throw e;
    const done = uploadId ? await ctx.deps.meta.uploads.completed(ctx.bucket.id, ctx.key, uploadId, ctx.now - COMPLETED_UPLOAD_MEMORY_MS) : null;
    if (!done) throw e;
    // The retry's body (the same part list) is read, so that the connection stays usable.
    if (!upload) await readXmlBody(ctx, 2 * 1024 * 1024, { checksumHeadersDescribeObject: true });
    return completionResponse(ctx, done);
  }
};

/** The CompleteMultipartUploadResult of a completion (the first time or a retry). */
function completionResponse(ctx: ObjectContext, done: Pick<CompletedUpload, "etag" | "versionId" | "checksum" | "ssecKeyMd5">): Response {
  const out = setSsecHeaders(new Headers(), done.ssecKeyMd5);
  if (ctx.bucket.versioning !== null) out.set("x-amz-version-id", done.versionId);
  return xmlResponse(
    completeMultipartUploadDocument({
      location: `${ctx.url.origin}/${encodeURIComponent(ctx.bucketName)}/${ctx.key.split("/").map(encodeURIComponent).join("/")}`,
      bucket: ctx.bucketName,
      key: ctx.key,
      etag: quoteEtag(done.etag),
      checksum: done.checksum,
    }),
    { headers: out },
  );
}

const completeUpload: Handler<UploadContext> = async (ctx) => {
  const { upload } = ctx;
  const conditions = await writeConditions(ctx);
  const requested = parseCompleteMultipartUpload(await readXmlBody(ctx, 2 * 1024 * 1024, { checksumHeadersDescribeObject: true }));
  for (let i = 1; i < requested.length; i++) {
    if (requested[i].partNumber <= requested[i - 1].partNumber) throw new S3Error("InvalidPartOrder");
  }
  const uploaded = new Map((await ctx.deps.meta.uploads.listParts(upload.id)).map((p) => [p.partNumber, p]));
  // Every named part must exist first (InvalidPart), then the sizes are judged (EntityTooSmall).
  const chosen: UploadPart[] = requested.map((r) => {
    const part = uploaded.get(r.partNumber);
    if (!part || unquoteEtag(r.etag) !== part.etag)
      throw new S3Error("InvalidPart", undefined, { UploadId: upload.id, PartNumber: r.partNumber, ETag: r.etag });
    for (const [algo, value] of Object.entries(r.checksums)) {
      // Without an upload algorithm, clients still echo the checksum UploadPart returned: it must match.
      const wrongAlgorithm = upload.checksumAlgorithm !== null && algo !== upload.checksumAlgorithm;
      if (wrongAlgorithm || value !== part.checksumValue) throw new S3Error("InvalidPart", undefined, { UploadId: upload.id, PartNumber: r.partNumber });
    }
    return part;
  });
  const minPartBytes = ctx.deps.config.minPartBytes;
  chosen.slice(0, -1).forEach((part) => {
    if (part.size < minPartBytes) {
      throw new S3Error("EntityTooSmall", undefined, {
        ProposedSize: part.size,
        MinSizeAllowed: minPartBytes,
        PartNumber: part.partNumber,
        ETag: quoteEtag(part.etag),
      });
    }
  });
  const size = chosen.reduce((n, p) => n + p.size, 0);
  if (size > MAX_OBJECT_BYTES) throw new S3Error("entityTooLarge", { size, max: MAX_OBJECT_BYTES, limit: "the largest object" });

  const etag = await multipartEtag(chosen.map((p) => p.etag));
  const algorithm = upload.checksumAlgorithm;
  const checksumType = upload.checksumType === "FULL_OBJECT" ? "FULL_OBJECT" : "COMPOSITE";
  const requestedType = ctx.request.headers.get("x-amz-checksum-type")?.trim().toUpperCase();
  if (algorithm && requestedType !== undefined && requestedType !== checksumType) throw new S3Error("completeChecksumTypeMismatch", { type: checksumType });
  const checksumValue = algorithm && chosen.every((p) => p.checksumValue) ? await objectChecksum(algorithm, checksumType, chosen) : null;
  // A full-object value sent with Complete is the client's CRC of the whole object: it must match.
  const claimed = algorithm && checksumType === "FULL_OBJECT" ? ctx.request.headers.get(checksumHeaderName(algorithm as ChecksumAlgorithm)) : null;
  if (claimed && checksumValue && !checksumValuesEqual(claimed, checksumValue)) throw checksumMismatch(algorithm as ChecksumAlgorithm);
  const version = newVersionRow(ctx.bucket, ctx.key, ctx.now, {
    size,
    etag,
    ownerId: upload.ownerId,
    partCount: chosen.length,
    httpMeta: upload.httpMeta,
    userMeta: upload.userMeta,
    checksumAlgorithm: checksumValue ? algorithm : null,
    checksumValue,
    checksumType: checksumValue ? checksumType : null,
    ssecKeyMd5: upload.ssecKeyMd5,
    acl: upload.acl,
    tags: upload.tags,
    tagCount: upload.tags.length,
    storageClass: upload.storageClass,
    lock: upload.lock,
  });
  await commitWrite(
    ctx.deps,
    ctx.bucket.zone,
    [],
    () =>
      ctx.deps.meta.objects.commitCompletedUpload(ctx.bucket, version, upload.id, chosen, {
        now: ctx.now,
        ...conditions,
        maxVersions: MAX_VERSIONS_PER_OBJECT,
        reportQueued: freesAtOnce(ctx.deps),
        compact: needsCompaction(ctx.deps.config, version.partCount, version.ssecKeyMd5),
      }),
    version,
  );
  if (uploaded.size > chosen.length) ctx.deps.defer(drainBlobDeletions(ctx.deps, ctx.now, 1000));

  return completionResponse(ctx, {
    etag,
    versionId: version.versionId,
    checksum: checksumValue ? { algorithm: algorithm!, value: checksumValue, type: checksumType } : null,
    ssecKeyMd5: version.ssecKeyMd5,
  });
};

export const abortMultipartUpload: Handler<UploadContext> = async (ctx) => {
  const { upload } = ctx;
  const { existed, freed } = await ctx.deps.meta.uploads.abort(ctx.bucket.zone, upload.id, ctx.now);
  if (!existed) throw new S3Error("NoSuchUpload", undefined, { UploadId: upload.id });
  freeBlobs(ctx.deps, ctx.bucket.zone, freed);
  return empty(204);
};

export const listParts: Handler<WithParams<UploadContext, ListPartsParams>> = async (ctx) => {
  const { upload } = ctx;
  const { maxParts, partNumberMarker: marker } = ctx.params;
  const parts = await ctx.deps.meta.uploads.listParts(upload.id, marker, maxParts + 1);
  const isTruncated = parts.length > maxParts;
  const page = parts.slice(0, maxParts);
  const owner = await ownerOf(ctx.deps.meta, upload.ownerId);
  return xmlResponse(
    listPartsDocument({
      bucket: ctx.bucketName,
      key: ctx.key,
      uploadId: upload.id,
      initiator: upload.initiatorId === upload.ownerId ? owner : await ownerOf(ctx.deps.meta, upload.initiatorId),
      owner,
      storageClass: upload.storageClass,
      partNumberMarker: marker,
      nextPartNumberMarker: page.length ? page[page.length - 1].partNumber : undefined,
      maxParts,
      isTruncated,
      checksumAlgorithm: upload.checksumAlgorithm,
      checksumType: upload.checksumType,
      parts: page.map((p) => ({
        partNumber: p.partNumber,
        lastModified: new Date(p.uploadedAt),
        etag: quoteEtag(p.etag),
        size: p.size,
        checksum: upload.checksumAlgorithm && p.checksumValue ? { algorithm: upload.checksumAlgorithm, value: p.checksumValue } : null,
      })),
    }),
  );
};

export const listMultipartUploads: Handler<WithParams<BucketContext, ListMultipartUploadsParams>> = async (ctx) => {
  const { prefix, delimiter, maxUploads, encodingType, keyMarker, uploadIdMarker } = ctx.params;
  const { uploads, commonPrefixes, isTruncated, next } = await listUploadsPage(
    (cursor) => ctx.deps.meta.listings.listUploads(ctx.bucket.id, { prefix, ...cursor }),
    { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads },
  );
  const names = new Map<string, { id: string; displayName: string }>();
  for (const id of new Set(uploads.flatMap((u) => [u.ownerId, u.initiatorId]))) names.set(id, await ownerOf(ctx.deps.meta, id));
  return xmlResponse(
    listMultipartUploadsDocument({
      bucket: ctx.bucketName,
      keyMarker,
      uploadIdMarker,
      nextKeyMarker: isTruncated ? next?.key : undefined,
      nextUploadIdMarker: isTruncated ? next?.uploadId || undefined : undefined,
      prefix,
      delimiter,
      maxUploads,
      isTruncated,
      encodingType,
      uploads: uploads.map((u) => ({
        key: u.key,
        uploadId: u.id,
        initiator: names.get(u.initiatorId)!,
        owner: names.get(u.ownerId)!,
        storageClass: u.storageClass,
        initiated: new Date(u.initiatedAt),
        checksumAlgorithm: u.checksumAlgorithm,
      })),
      commonPrefixes,
    }),
  );
};
