/**
 * ListObjects (v1) and ListObjectsV2, served from D1 only.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { decodeContinuationToken, encodeContinuationToken } from "../logic/pagination";
import { listCurrentPage, type ListPage } from "../logic/listing";
import type { MetaStore } from "../store/d1";
import type { ListedObject } from "../store/model";
import { listObjectsV1Document, listObjectsV2Document } from "../xml/documents";
import { quoteEtag, xmlResponse } from "./respond";

function parseMaxKeys(q: URLSearchParams): number {
  const raw = q.get("max-keys");
  if (raw === null || raw === "") return 1000;
  if (!/^\d+$/.test(raw)) throw new S3Error("notAnInteger", { name: "max-keys" }, { ArgumentName: "max-keys", ArgumentValue: raw });
  return Math.min(Number(raw), 1000);
}

function parseEncodingType(q: URLSearchParams): "url" | undefined {
  const e = q.get("encoding-type");
  if (e === null) return undefined;
  if (e.toLowerCase() !== "url") throw new S3Error("encodingTypeInvalid", undefined, { ArgumentName: "encoding-type", ArgumentValue: e });
  return "url";
}

/** The query parameters every listing shares: prefix, delimiter, max-keys, encoding-type. */
export function parseListParams(q: URLSearchParams) {
  return {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") || undefined,
    maxKeys: parseMaxKeys(q),
    encodingType: parseEncodingType(q),
  };
}

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

export const listObjectsV2: Handler<BucketContext> = async (ctx) => {
  const q = ctx.url.searchParams;
  const { prefix, delimiter, maxKeys, encodingType } = parseListParams(q);
  const continuationToken = q.get("continuation-token") ?? undefined;
  const startAfter = q.get("start-after") ?? undefined;
  const after = continuationToken !== undefined ? decodeContinuationToken(continuationToken) : startAfter;
  const page = await listCurrentPage(ctx.deps.meta.listings, ctx.bucket.id, { prefix, delimiter, after, maxKeys });
  return xmlResponse(
    listObjectsV2Document({
      name: ctx.bucketName,
      prefix,
      delimiter,
      maxKeys,
      encodingType,
      isTruncated: page.isTruncated,
      contents: await contentsOf(ctx, page, q.get("fetch-owner") === "true"),
      commonPrefixes: page.commonPrefixes,
      keyCount: page.contents.length + page.commonPrefixes.length,
      continuationToken,
      nextContinuationToken: page.isTruncated && page.lastEntry !== undefined ? encodeContinuationToken(page.lastEntry) : undefined,
      startAfter,
    }),
  );
};

export const listObjects: Handler<BucketContext> = async (ctx) => {
  const q = ctx.url.searchParams;
  const { prefix, delimiter, maxKeys, encodingType } = parseListParams(q);
  const marker = q.get("marker") ?? "";
  const page = await listCurrentPage(ctx.deps.meta.listings, ctx.bucket.id, { prefix, delimiter, after: marker || undefined, maxKeys });
  return xmlResponse(
    listObjectsV1Document({
      name: ctx.bucketName,
      prefix,
      delimiter,
      maxKeys,
      encodingType,
      isTruncated: page.isTruncated,
      contents: await contentsOf(ctx, page, true),
      commonPrefixes: page.commonPrefixes,
      marker,
      // S3 returns NextMarker only when a delimiter was given; clients use the last key otherwise.
      nextMarker: page.isTruncated && delimiter !== undefined ? page.lastEntry : undefined,
    }),
  );
};
