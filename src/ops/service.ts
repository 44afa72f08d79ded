/** ListBuckets: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html */
import type { Handler, RequestContext, WithParams } from "../context";
import { S3Error } from "../errors";
import { encodeContinuationToken } from "../logic/pagination";
import { listBucketsDocument } from "../xml/documents";
import type { ListBucketsParams } from "./params";
import { xmlResponse } from "./respond";

export const listBuckets: Handler<WithParams<RequestContext, ListBucketsParams>> = async (ctx) => {
  const p = ctx.principal;
  if (p.kind !== "user") throw new S3Error("AccessDenied");
  const { maxBuckets, prefix, bucketRegion, after } = ctx.params;
  // A key limited to one bucket sees only that bucket.
  const page = await ctx.deps.meta.buckets.pageOwnedBy(p.user.id, {
    after,
    prefix: prefix ?? "",
    zone: bucketRegion ?? null,
    only: p.scope.bucket,
    limit: maxBuckets === null ? -1 : maxBuckets + 1, // one more tells whether there is a next page
  });
  const more = maxBuckets !== null && page.length > maxBuckets;
  const buckets = more ? page.slice(0, maxBuckets) : page;
  return xmlResponse(
    listBucketsDocument({
      owner: { id: p.user.id, displayName: p.user.displayName },
      buckets: buckets.map((b) => ({ name: b.name, creationDate: new Date(b.createdAt), region: b.zone })),
      continuationToken: more ? encodeContinuationToken(buckets[buckets.length - 1]!.name) : undefined,
      prefix,
    }),
  );
};
