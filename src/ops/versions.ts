/**
 * ListObjectVersions: every version and delete marker, keys in UTF-8 binary order and newest
 * first within a key, served from D1 only (index objects_by_key_seq; see logic/version-listing.ts
 * for paging and its cost). Works on never-versioned buckets too, where every entry is the
 * `null` version.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
import type { BucketContext, Handler, WithParams } from "../context";
import { S3Error } from "../errors";
import { listVersionsPage } from "../logic/version-listing";
import type { ListedVersion } from "../store/model";
import { listVersionsDocument, type VersionEntry } from "../xml/versioning";
import { ownerNames } from "./list";
import type { ListObjectVersionsParams } from "./params";
import { quoteEtag, xmlResponse } from "./respond";

/** The version-id-marker's place among its key's versions (our version ids are random): its seq. */
async function versionMarkerSeq(ctx: BucketContext, keyMarker: string, versionIdMarker: string | null): Promise<number | undefined> {
  if (versionIdMarker === null) return undefined;
  const marker = await ctx.deps.meta.objects.get(ctx.bucket.id, keyMarker, versionIdMarker);
  if (!marker) throw new S3Error("versionIdInvalid", undefined, { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker });
  return marker.seq;
}

function entryOf(r: ListedVersion, names: Map<string, string>): VersionEntry {
  const common = {
    key: r.key,
    versionId: r.versionId,
    isLatest: r.isLatest,
    lastModified: new Date(r.lastModified),
    owner: { id: r.ownerId, displayName: names.get(r.ownerId) ?? "" },
  };
  if (r.isDeleteMarker) return { ...common, deleteMarker: true };
  return {
    ...common,
    deleteMarker: false,
    etag: quoteEtag(r.etag),
    size: r.size,
    storageClass: r.storageClass,
    checksumAlgorithm: r.checksumAlgorithm,
    checksumType: r.checksumType,
  };
}

/** ListObjectVersions https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html */
export const listObjectVersions: Handler<WithParams<BucketContext, ListObjectVersionsParams>> = async (ctx) => {
  const { prefix, delimiter, maxKeys, encodingType, keyMarker } = ctx.params;
  const seq = await versionMarkerSeq(ctx, keyMarker, ctx.params.versionIdMarker);
  const versionIdMarker = ctx.params.versionIdMarker ?? "";
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
