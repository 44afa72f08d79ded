/**
 * Zone endpoints (docs/zones.md): what a request through a zone's own host name may reach, answered
 * the way S3 answers a request sent to the wrong region.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (PermanentRedirect, AuthorizationHeaderMalformed)
 *
 * On the endpoint of zone E, for a bucket in zone Z, a request signed for region R (none: SigV2 or anonymous):
 * - R = Z: served. A client that follows region hints retries with the bucket's region, and with a
 *   custom endpoint it can change only the signing region, not the host: this is how it gets in.
 * - Z ≠ E: 301 PermanentRedirect naming Z's endpoint, with x-amz-bucket-region: Z.
 * - Z = E, R ≠ Z: 400 AuthorizationHeaderMalformed (AuthorizationQueryParametersError when presigned),
 *   <Region>Z</Region>.
 * Requests without a bucket (ListBuckets, CreateBucket) must be signed for E or not by SigV4.
 * GetBucketLocation is answered through every endpoint.
 * The generic endpoint (endpointZone null) serves every zone for every accepted signing region, as before.
 */
import type { RequestContext } from "./context";
import { wrongRegionError } from "./auth/sigv4-parse";
import { S3Error } from "./errors";
import { hostOfZone } from "./logic/zone-endpoints";
import type { Bucket } from "./store/model";

/** Signing regions the generic endpoint accepts: any zone, and what clients send by default. */
export function genericEndpointRegions(zones: readonly string[]): string[] {
  return [...zones, "us-east-1", "auto"];
}

/** Refuses a request that does not belong on this zone endpoint; `bucket` null for requests that name no existing bucket. */
export function checkEndpointZone(ctx: RequestContext, bucket: Bucket | null): void {
  const endpointZone = ctx.endpointZone;
  // GetBucketLocation answers from every endpoint, whatever the signing region, as S3's does: it is how
  // clients (rclone, after a 301) learn the bucket's region.
  if (endpointZone === null || ctx.endpoint.op === "GetBucketLocation") return;
  const signed = ctx.signingRegion;
  if (bucket === null) {
    if (signed && signed.region !== endpointZone) throw wrongRegionError(signed, endpointZone);
    return;
  }
  if (signed ? signed.region === bucket.zone : bucket.zone === endpointZone) return;
  if (bucket.zone !== endpointZone) throw permanentRedirect(ctx, bucket);
  throw withBucketRegion(wrongRegionError(signed!, bucket.zone), bucket.zone);
}

/** The zone a CreateBucket without LocationConstraint creates the bucket in. */
export function defaultZoneFor(ctx: RequestContext): string {
  return ctx.endpointZone ?? ctx.deps.config.defaultZone;
}

function permanentRedirect(ctx: RequestContext, bucket: Bucket): S3Error {
  const { zoneEndpoints, baseDomain } = ctx.deps.config;
  const host = hostOfZone(bucket.zone, zoneEndpoints) ?? (baseDomain || ctx.url.hostname);
  return new S3Error(
    "PermanentRedirect",
    undefined,
    { Bucket: bucket.name, Endpoint: ctx.endpoint.virtualHost ? `${bucket.name}.${host}` : host },
    {
      "x-amz-bucket-region": bucket.zone,
    },
  );
}

/** S3 names the bucket's region on these answers too, so that clients can retry there. */
export function withBucketRegion(e: S3Error, zone: string): S3Error {
  e.headers["x-amz-bucket-region"] = zone;
  return e;
}
