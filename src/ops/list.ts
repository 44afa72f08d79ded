/**
 * ListObjects (v1) and ListObjectsV2, served from D1 only.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 */
import type { BucketContext, Handler, WithParams } from "../context";
import { decodeContinuationToken, encodeContinuationToken } from "../logic/pagination";
import { listCurrentPage, type ListPage } from "../logic/listing";
import type { MetaStore } from "../store/d1";
import type { ListedObject } from "../store/model";
import { listObjectsV1Document, listObjectsV2Document } from "../xml/documents";
import type { ListObjectsParams, ListObjectsV2Params } from "./params";
import { quoteEtag, xmlResponse } from "./respond";

/** Display names of the owners of listed rows, one user lookup per distinct owner. */
export async function ownerNames(meta: MetaStore, objects: { ownerId: string }[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(objects.map((o) => o.ownerId))) names.set(id, (await meta.users.get(id))?.displayName ?? "");
  return names;
}

async function contentsOf(ctx: BucketContext, page: ListPage<ListedObject>, withOwner: boolean) {
  const names = withOwner ? await ownerNames(ctx.deps.meta, page.contents) : null;
  return page.contents.map((o) => ({
    key: o.key,
    lastModified: new Date(o.lastModified),
    etag: quoteEtag(o.etag),
    size: o.size,
    storageClass: o.storageClass,
    owner: names ? { id: o.ownerId, displayName: names.get(o.ownerId) ?? "" } : undefined,
    checksumAlgorithm: o.checksumAlgorithm ? [o.checksumAlgorithm] : undefined,
  }));
}

/** The elements both listing versions open with. */
function pageHeader(ctx: BucketContext, p: Pick<ListObjectsParams, "prefix" | "delimiter" | "maxKeys" | "encodingType">, page: ListPage<ListedObject>) {
  return { name: ctx.bucketName, prefix: p.prefix, delimiter: p.delimiter, maxKeys: p.maxKeys, encodingType: p.encodingType, isTruncated: page.isTruncated };
}

export const listObjectsV2: Handler<WithParams<BucketContext, ListObjectsV2Params>> = async (ctx) => {
  const { prefix, delimiter, maxKeys, continuationToken, startAfter, fetchOwner } = ctx.params;
  const after = continuationToken !== undefined ? decodeContinuationToken(continuationToken) : startAfter;
  const page = await listCurrentPage(ctx.deps.meta.listings, ctx.bucket.id, { prefix, delimiter, after, maxKeys });
  return xmlResponse(
    listObjectsV2Document({
      ...pageHeader(ctx, ctx.params, page),
      contents: await contentsOf(ctx, page, fetchOwner),
      commonPrefixes: page.commonPrefixes,
      keyCount: page.contents.length + page.commonPrefixes.length,
      continuationToken,
      nextContinuationToken: page.isTruncated && page.lastEntry !== undefined ? encodeContinuationToken(page.lastEntry) : undefined,
      startAfter,
    }),
  );
};

export const listObjects: Handler<WithParams<BucketContext, ListObjectsParams>> = async (ctx) => {
  const { prefix, delimiter, maxKeys, marker } = ctx.params;
  const page = await listCurrentPage(ctx.deps.meta.listings, ctx.bucket.id, { prefix, delimiter, after: marker || undefined, maxKeys });
  return xmlResponse(
    listObjectsV1Document({
      ...pageHeader(ctx, ctx.params, page),
      contents: await contentsOf(ctx, page, true),
      commonPrefixes: page.commonPrefixes,
      marker,
      // S3 returns NextMarker only when a delimiter was given; clients use the last key otherwise.
      nextMarker: page.isTruncated && delimiter !== undefined ? page.lastEntry : undefined,
    }),
  );
};
