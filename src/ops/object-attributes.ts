/**
 * GetObjectAttributes: what HEAD and ListParts would tell, in one document (ETag, checksum,
 * parts, storage class, size), for the current or a named version; SSE-C objects need their key.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 */
import type { Handler, VersionContext } from "../context";
import { pageParts, parseObjectAttributes, parsePartsPage } from "../logic/object-attributes";
import { checkReadKey } from "../logic/ssec";
import { objectAttributesDocument } from "../xml/object-attributes";
import { httpDate, xmlResponse } from "./respond";
import { requestSsec, setSsecHeaders } from "./ssec-request";

export const getObjectAttributes: Handler<VersionContext> = async (ctx) => {
  const headers = ctx.request.headers;
  const requested = parseObjectAttributes(headers);
  const page = parsePartsPage(headers);
  const obj = ctx.version;
  checkReadKey(obj.ssecKeyMd5, await requestSsec(ctx));
  let parts = null;
  if (requested.has("ObjectParts") && obj.partCount !== null) {
    const all = await ctx.deps.meta.objects.parts(obj.id);
    const p = pageParts(all, page);
    parts = {
      totalPartsCount: all.length,
      partNumberMarker: page.partNumberMarker,
      nextPartNumberMarker: p.nextPartNumberMarker,
      maxParts: page.maxParts,
      isTruncated: p.isTruncated,
      page: p.parts.map((part) => ({ partNumber: part.partNumber, size: part.size, checksum: part.checksumValue })),
      algorithm: obj.checksumAlgorithm,
    };
  }
  const checksum =
    obj.checksumAlgorithm && obj.checksumValue ? { algorithm: obj.checksumAlgorithm, value: obj.checksumValue, type: obj.checksumType ?? "FULL_OBJECT" } : null;
  const out = setSsecHeaders(new Headers({ "last-modified": httpDate(obj.lastModified) }), obj.ssecKeyMd5);
  if (ctx.bucket.versioning !== null) out.set("x-amz-version-id", obj.versionId);
  return xmlResponse(objectAttributesDocument({ requested, etag: obj.etag, checksum, size: obj.size, storageClass: obj.storageClass, parts }), {
    headers: out,
  });
};
