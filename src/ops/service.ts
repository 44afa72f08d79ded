/** ListBuckets: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html */
import type { Handler } from "../context";
import { S3Error } from "../errors";
import { listBucketsDocument } from "../xml/documents";
import { xmlResponse } from "./respond";

export const listBuckets: Handler = async (ctx) => {
  const p = ctx.principal;
  if (p.kind !== "user") throw new S3Error("AccessDenied");
  let buckets = await ctx.deps.meta.buckets.listOwnedBy(p.user.id);
  // A key limited to one bucket sees only that bucket.
  if (p.scope.bucket !== null) buckets = buckets.filter((b) => b.name === p.scope.bucket);
  return xmlResponse(
    listBucketsDocument({
      owner: { id: p.user.id, displayName: p.user.displayName },
      buckets: buckets.map((b) => ({ name: b.name, creationDate: new Date(b.createdAt), region: b.zone })),
    }),
  );
};
