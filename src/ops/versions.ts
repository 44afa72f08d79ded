/**
 * ListObjectVersions: every version and delete marker, keys in UTF-8 binary order and newest
 * first within a key, served from D1 only (index objects_by_key_seq; see logic/version-listing.ts
 * for paging and its cost). Works on never-versioned buckets too, where every entry is the
 * `null` version.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { listVersionsPage } from "../logic/version-listing";
import { isWellFormedVersionId } from "../logic/versioning";
import type { ListedVersion } from "../store/model";
import { listVersionsDocument, type VersionEntry } from "../xml/versioning";
import { ownerNames, parseListParams } from "./list";
import { quoteEtag, xmlResponse } from "./respond";

/** key-marker / version-id-marker, checked in S3's order; the version marker resolves to its seq. */
async function markers(ctx: BucketContext, q: URLSearchParams): Promise<{ keyMarker: string; versionIdMarker: string; seq?: number }> {
  const keyMarker = q.get("key-marker") ?? "";
  const versionIdMarker = q.get("version-id-marker");
  if (versionIdMarker === null) return { keyMarker, versionIdMarker: "" };
  const invalid = (reason: "versionIdMarkerWithoutKeyMarker" | "versionIdMarkerEmpty" | "versionIdInvalid") => new S3Error(reason, undefined, { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker });
  if (keyMarker === "") throw invalid("versionIdMarkerWithoutKeyMarker");
  if (versionIdMarker === "") throw invalid("versionIdMarkerEmpty");
  if (!isWellFormedVersionId(versionIdMarker)) throw invalid("versionIdInvalid");
  // Our version ids are random, so the marker's place among its key's versions is its seq.
  const marker = await ctx.deps.meta.objects.get(ctx.bucket.id, keyMarker, versionIdMarker);
  if (!marker) throw invalid("versionIdInvalid");
  return { keyMarker, versionIdMarker, seq: marker.seq };
}

function entryOf(r: ListedVersion, names: Map<string, string>): VersionEntry {
  const common = { key: r.key, versionId: r.versionId, isLatest: r.isLatest, lastModified: new Date(r.lastModified), owner: { id: r.ownerId, displayName: names.get(r.ownerId) ?? "" } };
  if (r.isDeleteMarker) return { ...common, deleteMarker: true };
  return { ...common, deleteMarker: false, etag: quoteEtag(r.etag), size: r.size, storageClass: r.storageClass, checksumAlgorithm: r.checksumAlgorithm, checksumType: r.checksumType };
}

/** ListObjectVersions https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html */
export const listObjectVersions: Handler<BucketContext> = async (ctx) => {
  const q = ctx.url.searchParams;
  const { prefix, delimiter, maxKeys, encodingType } = parseListParams(q);
  const { keyMarker, versionIdMarker, seq } = await markers(ctx, q);
  const page = await listVersionsPage(ctx.deps.meta.listings, ctx.bucket.id, { prefix, delimiter, keyMarker, versionMarkerSeq: seq, maxKeys });
  const names = await ownerNames(ctx.deps.meta, page.entries);
  return xmlResponse(
    listVersionsDocument({
      name: ctx.bucketName,
      prefix,
      keyMarker,
      versionIdMarker,
      nextKeyMarker: page.next?.keyMarker,
      nextVersionIdMarker: page.next?.versionIdMarker,
      maxKeys,
      delimiter,
      isTruncated: page.isTruncated,
      encodingType,
      entries: page.entries.map((r) => entryOf(r, names)),
      commonPrefixes: page.commonPrefixes,
    }),
  );
};
