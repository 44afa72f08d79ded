/** What every operation handler receives: a routed, authenticated, authorized request. */
import type { VerifiedBody } from "./auth";
import type { PostForm } from "./auth/post-form";
import type { SigningRegion } from "./auth/sigv4-parse";
import type { Config, Env } from "./env";
import type { Principal } from "./identity";
import type { Endpoint } from "./router";
import type { BlobStore } from "./store/blobs-r2";
import type { MetaStore } from "./store/d1";
import type { Subrequests } from "./store/subrequests";
import type { Bucket, MultipartUpload, ObjectVersion, VersionMeta } from "./store/model";

export type Deps = {
  env: Env;
  config: Config;
  meta: MetaStore;
  blobs: BlobStore;
  /** the D1 and R2 calls this invocation made, against its budget (SOS_SUBREQUEST_BUDGET) */
  subrequests: Subrequests;
  /** runs work after the response (ctx.waitUntil) */
  defer: (work: Promise<unknown>) => void;
};

export type RequestContext = {
  request: Request;
  url: URL;
  endpoint: Endpoint;
  principal: Principal;
  /** how the request was signed (s3:signatureversion): SigV2, SigV4, or not at all */
  signatureVersion: 2 | 4 | null;
  /** SigV4: the region the credential scope names; null for SigV2 and anonymous requests */
  signingRegion: SigningRegion | null;
  /** the zone whose endpoint the request came through (src/zones.ts); null = the generic endpoint */
  endpointZone: string | null;
  /** the verified request body; null when the request has none */
  body: VerifiedBody | null;
  /** POST Object: the form fields before the file (whose bytes are `body`) */
  postForm?: PostForm;
  deps: Deps;
  requestId: string;
  now: number;
};

/** CreateBucket: the bucket does not exist yet. */
export type NewBucketContext = RequestContext & { bucketName: string };
/** Handlers of bucket and object operations get the bucket already loaded and authorized. */
export type BucketContext = NewBucketContext & { bucket: Bucket };
export type ObjectContext = BucketContext & { key: string };
/** Operations whose row `loads: "version"`: the named version (`versionId`, null = current), readable and authorized, without an inline object's bytes. */
export type VersionContext = ObjectContext & { versionId: string | null; version: VersionMeta };
/** GetObject (`loads: "version-bytes"`): the same, with an inline object's bytes. */
export type VersionBytesContext = ObjectContext & { versionId: string | null; version: ObjectVersion };
/** Operations whose row `loads: "upload"`: the upload named by ?uploadId, authorized. */
export type UploadContext = ObjectContext & { upload: MultipartUpload };

export type Handler<C extends RequestContext = RequestContext> = (ctx: C) => Promise<Response>;
/** A context with the operation's parsed query parameters (the row's `params` parser, src/ops/params.ts). */
export type WithParams<C extends RequestContext, P> = C & { params: P };
