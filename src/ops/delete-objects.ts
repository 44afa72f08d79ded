/**
 * DeleteObjects: up to 1000 keys per request, each answered with a Deleted or Error entry.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { readBodyBytes } from "../auth";
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { bytesToBase64, checksumMismatch, checksumValuesEqual, createChecksum } from "../logic/checksums";
import { validateObjectKey } from "../logic/names";
import { deleteResultDocument, parseDeleteObjects } from "../xml/multipart";
import { deleteKey } from "./object-delete";
import { requestedVersionId } from "./object-lookup";
import { xmlResponse } from "./respond";
import { requestedChecksum } from "./upload-body";

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 8;

/** S3 requires an integrity header on this request: Content-MD5 or any x-amz-checksum-*. */
async function verifyIntegrity(headers: Headers, body: Uint8Array, trailerVerified: boolean): Promise<void> {
  const md5 = headers.get("content-md5");
  const wanted = requestedChecksum(headers);
  if (md5 === null && !wanted) throw new S3Error("InvalidRequest", "Missing required header for this request: Content-MD5");
  if (md5 !== null) {
    const actual = bytesToBase64(new Uint8Array(await crypto.subtle.digest("MD5", body)));
    if (actual !== md5.trim()) throw new S3Error(/^[A-Za-z0-9+/]{22}==$/.test(md5.trim()) ? "BadDigest" : "InvalidDigest");
  }
  if (wanted && wanted.value !== undefined && !trailerVerified) {
    const sum = createChecksum(wanted.algorithm);
    sum.update(body);
    if (!checksumValuesEqual(await sum.digest(), wanted.value)) throw checksumMismatch(wanted.algorithm);
  }
}

export const deleteObjects: Handler<BucketContext> = async (ctx) => {
  const bytes = await readBodyBytes(ctx.body, MAX_BODY_BYTES);
  await verifyIntegrity(ctx.request.headers, bytes, !!ctx.body?.trailerChecksum);
  const { quiet, objects } = parseDeleteObjects(new TextDecoder().decode(bytes));
  const deleted: Parameters<typeof deleteResultDocument>[0]["deleted"] = [];
  const errors: Parameters<typeof deleteResultDocument>[0]["errors"] = [];
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const { key, versionId } = objects[next++];
      try {
        validateObjectKey(key);
        const vid = versionId === undefined ? null : requestedVersionId(new URLSearchParams({ versionId }));
        const outcome = await deleteKey(ctx.deps, ctx.bucket, key, vid, ctx.principal, ctx.now);
        if (!quiet) {
          deleted.push(
            vid === null && outcome.deleteMarker
              ? { key, deleteMarker: true, deleteMarkerVersionId: outcome.versionId }
              : { key, versionId: vid ?? undefined, deleteMarker: outcome.deleteMarker || undefined },
          );
        }
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
        errors.push({ key, versionId, code: e.code, message: e.message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, objects.length) }, worker));
  // Entries come back in request order, as S3 lists them.
  const order = new Map(objects.map((o, i) => [`${o.key}\u0000${o.versionId ?? ""}`, i]));
  const rank = (k: string, v?: string) => order.get(`${k}\u0000${v ?? ""}`) ?? 0;
  deleted.sort((a, b) => rank(a.key, a.versionId) - rank(b.key, b.versionId));
  errors.sort((a, b) => rank(a.key, a.versionId) - rank(b.key, b.versionId));
  return xmlResponse(deleteResultDocument({ deleted, errors }));
};
