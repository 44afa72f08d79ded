/**
 * The request lifecycle, in order:
 *   route -> authenticate -> key scope -> load bucket -> zone endpoint check -> authorize -> parse parameters
 *         -> load the version or upload and authorize it -> run operation -> CORS -> render
 *                                       \-> S3Error thrown anywhere -> one XML error renderer -> CORS
 * A deployment that is not set up (a required secret missing, D1 not migrated) answers every request
 * with a 503 saying what to run (src/setup-check.ts).
 * CORS preflights (OPTIONS) are answered right after routing: they carry no signature.
 * This is the only top-level catch.
 */
import { authenticate, type AuthOptions, type AuthResult } from "./auth";
import { authenticatePostForm, type PostForm } from "./auth/post-form";
import { handleAdmin } from "./admin/api";
import { authorizeBucketStep, checkExpectedBucketOwner, checkKeyScope } from "./authz";
import type { Deps, ObjectContext, RequestContext } from "./context";
import { readConfig, virtualHostDomains, type Env } from "./env";
import { S3Error } from "./errors";
import { Identity, type Principal } from "./identity";
import { randomHex } from "./logic/secrets";
import { missingSecret, notSetUp, setupProblem } from "./setup-check";
import { OPERATIONS, requirementFor, type OperationSpec } from "./operations";
import { findUpload } from "./ops/multipart";
import { findReadableVersion } from "./ops/object-lookup";
import { requestedVersionId } from "./ops/params";
import { answerPreflight, withCorsHeaders } from "./ops/cors";
import { isAdminPath, route, type Endpoint } from "./router";
import { BlobStore } from "./store/blobs-r2";
import { MetaStore } from "./store/d1";
import { countingDatabase, Subrequests } from "./store/subrequests";
import type { Bucket } from "./store/model";
import { errorDocument } from "./xml/documents";
import { zoneOfHost } from "./logic/zone-endpoints";
import { checkEndpointZone, genericEndpointRegions, withBucketRegion } from "./zones";

export async function handleRequest(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const requestId = randomHex(8).toUpperCase();
  let endpoint: Endpoint | undefined;
  let meta: MetaStore | undefined;
  const loaded: Loaded = {};
  let body: ReadableStream<Uint8Array> | null = request.body;
  try {
    const config = readConfig(env);
    const url = new URL(request.url);
    const subrequests = new Subrequests(config.subrequestBudget);
    meta = new MetaStore(countingDatabase(env.DB, subrequests));
    const deps: Deps = { env, config, meta, blobs: new BlobStore(env, subrequests), subrequests, defer: (p) => ctx.waitUntil(p) };
    const domains = virtualHostDomains(config);
    if (isAdminPath(url, domains)) return withRequestId(await handleAdmin(request, url, deps), requestId);
    const missing = missingSecret(env);
    if (missing) throw notSetUp(missing);

    endpoint = route(request.method, url, request.headers, domains);
    const endpointZone = zoneOfHost(url.hostname, config.zoneEndpoints);
    if (endpoint.op === "Preflight") return withRequestId(await answerPreflight(request, endpoint, meta), requestId);

    const identity = new Identity(env, meta);
    const authOptions: AuthOptions = {
      lookupSecret: (id) => identity.secretFor(id),
      // A zone endpoint checks the signing region against the bucket's zone, once the bucket is loaded.
      allowedRegions: endpointZone === null ? genericEndpointRegions(config.zones) : "any",
      bucketForV2: endpoint.virtualHost ? (endpoint.bucket ?? undefined) : undefined,
    };
    // A browser form upload (POST Object) carries its signature in the form, not in headers or the query.
    const auth: AuthResult & { form?: PostForm } =
      endpoint.op === "PostObject" ? await authenticatePostForm(request, authOptions) : await authenticate(request, url, authOptions);
    body = auth.body?.stream ?? null;
    const principal: Principal = auth.accessKeyId
      ? await identity.resolve(auth.accessKeyId).then((r) => ({ kind: "user" as const, user: r!.user, accessKeyId: auth.accessKeyId!, scope: r!.scope }))
      : { kind: "anonymous" };

    const base: RequestContext = {
      request,
      url,
      endpoint,
      principal,
      signatureVersion: auth.signatureVersion,
      signingRegion: auth.signingRegion,
      endpointZone,
      body: auth.body,
      postForm: auth.form,
      deps,
      requestId,
      now: Date.now(),
    };
    const response = await dispatch(base, endpoint, loaded);
    return withRequestId(await applyCors(response, request, endpoint, meta, loaded), requestId);
  } catch (e) {
    await discardUnreadBody(body);
    // An incomplete deployment (no tables, a missing binding) is answered as such, without touching D1 again for CORS.
    const setup = e instanceof S3Error ? null : setupProblem(e);
    if (setup) return errorResponse(notSetUp(setup), requestId, request, endpoint);
    return applyCors(errorResponse(e, requestId, request, endpoint), request, endpoint, meta, loaded);
  }
}

/** The bucket row once dispatch has read it, so that the CORS step does not read it again. */
type Loaded = { bucket?: Bucket | null };

/** CORS step: a browser request (with Origin) to a bucket gets the matching rule's headers, errors included. */
async function applyCors(response: Response, request: Request, endpoint: Endpoint | undefined, meta: MetaStore | undefined, loaded: Loaded): Promise<Response> {
  const name = endpoint?.bucket;
  if (!name || !meta) return response;
  return withCorsHeaders(response, request, async () => (loaded.bucket !== undefined ? loaded.bucket : meta.buckets.get(name)));
}

/** Bodies we refuse smaller than this are read and dropped so the client's connection stays reusable. */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

async function discardUnreadBody(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body || body.locked) return;
  const reader = body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > DRAIN_LIMIT_BYTES) return void (await reader.cancel());
    }
  } catch {
    /* the body itself was the problem (bad chunk, wrong length): nothing more to drain */
  }
}

/** Runs the routed operation's row (src/operations.ts): key scope, bucket, ACLs, parameters, what it loads, then its handler. */
async function dispatch(base: RequestContext, endpoint: Endpoint, loaded: Loaded): Promise<Response> {
  const { op: name } = endpoint;
  if (name === "MethodNotAllowed" || name === "Preflight") throw new S3Error("MethodNotAllowed");
  const spec: OperationSpec = OPERATIONS[name];
  checkKeyScope(base.principal, name, spec, endpoint.bucket);
  const requirement = requirementFor(name, endpoint.query);
  if (endpoint.level === "service" || spec.loads === "none") checkEndpointZone(base, null);
  if (endpoint.level === "service") return spec.handler!({ ...base, params: await spec.params?.(base) });

  const bucketName = endpoint.bucket!;
  if (spec.loads === "none") return spec.handler!({ ...base, bucketName, params: await spec.params?.(base) });
  const bucket = (loaded.bucket = await base.deps.meta.buckets.get(bucketName));
  if (!bucket) throw new S3Error("NoSuchBucket", undefined, { BucketName: bucketName });
  try {
    checkEndpointZone(base, bucket);
    checkExpectedBucketOwner(base.request.headers, bucket);
    authorizeBucketStep(base, spec, requirement, bucket);
  } catch (e) {
    // HeadBucket names the bucket's region on a refusal too (S3 does, on 301, 400 and 403): clients locate buckets with it.
    throw name === "HeadBucket" && e instanceof S3Error ? withBucketRegion(e, bucket.zone) : e;
  }
  if (!spec.handler) throw new S3Error("operationNotImplemented", { op: name });
  const params = await spec.params?.(base);
  if (endpoint.level === "bucket") return spec.handler({ ...base, bucket, bucketName, params });

  const octx: ObjectContext = { ...base, bucket, bucketName, key: endpoint.key! };
  if (spec.loads === "version" || spec.loads === "version-bytes") {
    const versionId = requestedVersionId(endpoint.query);
    const version = await findReadableVersion(octx, versionId, requirement, spec.loads === "version-bytes");
    return spec.handler({ ...octx, params, versionId, version });
  }
  if (spec.loads === "upload") return spec.handler({ ...octx, params, upload: await findUpload(octx, endpoint.query.get("uploadId") ?? "", requirement) });
  return spec.handler({ ...octx, params });
}

function withRequestId(response: Response, requestId: string): Response {
  // Responses built from R2 bodies or fetch() may have immutable headers: rebuild when needed.
  let r = response;
  try {
    r.headers.set("x-amz-request-id", requestId);
  } catch {
    r = new Response(response.body, response);
    r.headers.set("x-amz-request-id", requestId);
  }
  r.headers.set("x-amz-id-2", requestId);
  return r;
}

function errorResponse(e: unknown, requestId: string, request: Request, endpoint?: Endpoint): Response {
  const err = e instanceof S3Error ? e : internalError(e);
  const headers = new Headers({ "content-type": "application/xml", ...err.headers });
  const resource = endpoint ? "/" + [endpoint.bucket, endpoint.key].filter((x) => x !== null).join("/") : undefined;
  const body =
    request.method === "HEAD" || err.status === 304
      ? null
      : errorDocument({ code: err.code, message: err.message, requestId, hostId: requestId, resource, details: err.details });
  return withRequestId(new Response(body, { status: err.status, headers }), requestId);
}

function internalError(e: unknown): S3Error {
  console.error("internal error", e instanceof Error ? (e.stack ?? e.message) : e);
  return new S3Error("InternalError");
}
