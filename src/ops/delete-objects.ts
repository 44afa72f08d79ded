/**
 * DeleteObjects: up to 1000 keys per request, each answered with a Deleted or Error entry.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { checkDeleteKeyAccess } from "../authz";
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { freeBlobs } from "./write-path";
import { validateObjectKey } from "../logic/names";
import { deleteResultDocument, parseDeleteObjects } from "../xml/multipart";
import { bypassOf, deleteKey } from "./object-delete";
import { requestedVersionId } from "./params";
import { readXmlBody } from "./request-body";
import { xmlResponse } from "./respond";

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 8;

export const deleteObjects: Handler<BucketContext> = async (ctx) => {
  const { quiet, objects } = parseDeleteObjects(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true }));
  const deleted: Parameters<typeof deleteResultDocument>[0]["deleted"] = [];
  const errors: Parameters<typeof deleteResultDocument>[0]["errors"] = [];
  // Released blobs are freed together after the response, not one background job per key.
  const freed: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const { key, versionId } = objects[next++];
      try {
        validateObjectKey(key);
        const vid = versionId === undefined ? null : requestedVersionId(new URLSearchParams({ versionId }));
        checkDeleteKeyAccess(ctx, ctx.bucket, key, vid);
        const outcome = await deleteKey(ctx.deps, ctx.bucket, key, vid, ctx.principal, ctx.now, bypassOf(ctx, key), (keys) => freed.push(...keys));
        if (!quiet) {
          // A new delete marker: DeleteMarker + DeleteMarkerVersionId. A version removed by id: VersionId,
          // plus DeleteMarker and DeleteMarkerVersionId (the same id) when it was a delete marker.
          deleted.push(
            vid === null
              ? outcome.deleteMarker
                ? { key, deleteMarker: true, deleteMarkerVersionId: outcome.versionId }
                : { key }
              : outcome.deleteMarker
                ? { key, versionId: vid, deleteMarker: true, deleteMarkerVersionId: vid }
                : { key, versionId: vid },
          );
        }
      } catch (e) {
        if (!(e instanceof S3Error)) throw e;
        errors.push({ key, versionId, code: e.code, message: e.message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, objects.length) }, worker));
  freeBlobs(ctx.deps, ctx.bucket.zone, freed);
  // Entries come back in request order, as S3 lists them.
  const order = new Map(objects.map((o, i) => [`${o.key}\u0000${o.versionId ?? ""}`, i]));
  const rank = (k: string, v?: string) => order.get(`${k}\u0000${v ?? ""}`) ?? 0;
  deleted.sort((a, b) => rank(a.key, a.versionId) - rank(b.key, b.versionId));
  errors.sort((a, b) => rank(a.key, a.versionId) - rank(b.key, b.versionId));
  return xmlResponse(deleteResultDocument({ deleted, errors }));
};
