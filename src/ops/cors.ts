/**
 * Bucket CORS: the configuration operations, the unsigned preflight (OPTIONS) answer, and the
 * pipeline's CORS step that decorates every response to a bucket request carrying Origin
 * (errors included, so that a browser can read the S3 error). Rules live in logic/cors.ts.
 */
import type { BucketContext, Handler } from "../context";
import { S3Error } from "../errors";
import { corsResponseHeaders, preflightResponseHeaders, validateCorsRules } from "../logic/cors";
import type { Endpoint } from "../router";
import type { MetaStore } from "../store/d1";
import type { Bucket } from "../store/model";
import { corsConfigurationDocument, parseCorsConfiguration } from "../xml/cors";
import { readXmlBody } from "./request-body";
import { empty, xmlResponse } from "./respond";

const MAX_BODY_BYTES = 256 * 1024;

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketCors.html */
export const getBucketCors: Handler<BucketContext> = async (ctx) => {
  const rules = ctx.bucket.cors;
  if (!rules) throw new S3Error("NoSuchCORSConfiguration", undefined, { BucketName: ctx.bucketName });
  return xmlResponse(corsConfigurationDocument(rules));
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html (Content-MD5 or a checksum is required, as in S3) */
export const putBucketCors: Handler<BucketContext> = async (ctx) => {
  const rules = validateCorsRules(parseCorsConfiguration(await readXmlBody(ctx, MAX_BODY_BYTES, { integrityRequired: true })));
  await ctx.deps.meta.buckets.setCors(ctx.bucket.id, rules);
  return empty(200);
};

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketCors.html */
export const deleteBucketCors: Handler<BucketContext> = async (ctx) => {
  await ctx.deps.meta.buckets.setCors(ctx.bucket.id, null);
  return empty(204);
};

/**
 * OPTIONS on a bucket or object: answered from the first matching rule, without a signature.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
 */
export async function answerPreflight(request: Request, endpoint: Endpoint, meta: MetaStore): Promise<Response> {
  const bucket = await meta.buckets.get(endpoint.bucket!);
  if (!bucket) throw new S3Error("NoSuchBucket", undefined, { BucketName: endpoint.bucket! });
  const headers = preflightResponseHeaders(bucket.cors, request.headers, endpoint.level === "object" ? "OBJECT" : "BUCKET");
  return empty(200, headers);
}

/**
 * The pipeline's CORS step: adds the matching rule's headers to `response`. Requests without
 * Origin (every non-browser client) cost nothing; `bucket` is only called for those with one,
 * and reuses the bucket the pipeline already loaded when there is one. Never throws.
 */
export async function withCorsHeaders(response: Response, request: Request, bucket: () => Promise<Bucket | null>): Promise<Response> {
  const origin = request.headers.get("origin");
  if (origin === null || response.headers.has("access-control-allow-origin")) return response;
  let add: Record<string, string>;
  try {
    add = corsResponseHeaders((await bucket())?.cors ?? null, origin, request.method);
  } catch {
    return response; // a failed lookup must not replace the answer itself
  }
  if (Object.keys(add).length === 0) return response;
  let r = response;
  try {
    for (const [k, v] of Object.entries(add)) r.headers.set(k, v);
  } catch {
    // Responses built from R2 bodies may have immutable headers: rebuild.
    r = new Response(response.body, response);
    for (const [k, v] of Object.entries(add)) r.headers.set(k, v);
  }
  return r;
}
