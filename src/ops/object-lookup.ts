/**
 * Finds the object version a request names, answering as S3 does when it is missing or is a
 * delete marker: 404 NoSuchKey (x-amz-delete-marker: true) without versionId, 405 with it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html
 */
import { checkObjectAccess } from "../authz";
import type { ObjectContext } from "../context";
import { S3Error } from "../errors";
import type { Requirement } from "../operations";
import type { ObjectVersion, VersionMeta } from "../store/model";

/**
 * The named version; delete markers are returned, not thrown. The object's ACL is checked here,
 * where the row is read. `withBytes`: with an inline object's bytes (GetObject only).
 */
export async function findVersion(ctx: ObjectContext, versionId: string | null, req: Requirement, withBytes: true): Promise<ObjectVersion>;
export async function findVersion(ctx: ObjectContext, versionId: string | null, req: Requirement, withBytes?: boolean): Promise<VersionMeta>;
export async function findVersion(ctx: ObjectContext, versionId: string | null, req: Requirement, withBytes = false): Promise<VersionMeta> {
  const objects = ctx.deps.meta.objects;
  const obj = withBytes ? await objects.get(ctx.bucket.id, ctx.key, versionId) : await objects.getMeta(ctx.bucket.id, ctx.key, versionId);
  checkObjectAccess(ctx, ctx.bucket, req, obj);
  if (!obj) {
    if (versionId !== null) throw new S3Error("NoSuchVersion", undefined, { Key: ctx.key, VersionId: versionId });
    throw new S3Error("NoSuchKey", undefined, { Key: ctx.key });
  }
  return obj;
}

/** The named version, which must be an object (not a delete marker) to be read (the pipeline's `loads: "version"` and `"version-bytes"`). */
export async function findReadableVersion(ctx: ObjectContext, versionId: string | null, req: Requirement, withBytes: boolean): Promise<VersionMeta> {
  const obj = await findVersion(ctx, versionId, req, withBytes);
  if (obj.isDeleteMarker) {
    const headers = { "x-amz-delete-marker": "true", "x-amz-version-id": obj.versionId };
    // By id, S3 answers 405 with the marker's Last-Modified (API_GetObject, "x-amz-delete-marker").
    if (versionId !== null) {
      throw new S3Error(
        "MethodNotAllowed",
        undefined,
        { Method: ctx.request.method, ResourceType: "DeleteMarker" },
        { ...headers, allow: "DELETE", "last-modified": new Date(obj.lastModified).toUTCString() },
      );
    }
    throw new S3Error("NoSuchKey", undefined, { Key: ctx.key }, headers);
  }
  return obj;
}
