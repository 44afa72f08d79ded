// The zone endpoint rules (docs/zones.md), case by case, on a hand-made request context.
import { describe, expect, it } from "vitest";
import type { SigningRegion } from "./auth/sigv4-parse";
import type { RequestContext } from "./context";
import { S3Error } from "./errors";
import type { Op } from "./operations";
import type { Bucket } from "./store/model";
import { checkEndpointZone, defaultZoneFor } from "./zones";

const zoneEndpoints = [
  { zone: "ch-gva-2", host: "sos-ch-gva-2.example.com" },
  { zone: "de-fra-1", host: "sos-de-fra-1.example.com" },
];

function ctx(endpointZone: string | null, signed: string | null, op: Op = "GetObject", code: SigningRegion["code"] = "AuthorizationHeaderMalformed") {
  return {
    endpointZone,
    signingRegion: signed === null ? null : { region: signed, code },
    endpoint: { op, virtualHost: false },
    url: new URL("https://sos-ch-gva-2.example.com/b/k"),
    deps: { config: { zoneEndpoints, baseDomain: "", defaultZone: "ch-gva-2" } },
  } as unknown as RequestContext;
}
const bucket = (zone: string) => ({ name: "b", zone }) as Bucket;

function outcome(c: RequestContext, b: Bucket | null) {
  try {
    checkEndpointZone(c, b);
    return "served";
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    return { code: e.code, status: e.status, details: e.details, region: e.headers["x-amz-bucket-region"] };
  }
}

describe("checkEndpointZone", () => {
  it("lets the generic endpoint serve every zone for every signing region", () => {
    expect(outcome(ctx(null, "us-east-1"), bucket("de-fra-1"))).toBe("served");
    expect(outcome(ctx(null, null), bucket("ch-gva-2"))).toBe("served");
  });

  it("serves the endpoint's own buckets signed for its zone or unsigned, and any bucket signed for that bucket's zone", () => {
    expect(outcome(ctx("ch-gva-2", "ch-gva-2"), bucket("ch-gva-2"))).toBe("served");
    expect(outcome(ctx("ch-gva-2", null), bucket("ch-gva-2"))).toBe("served");
    expect(outcome(ctx("ch-gva-2", "de-fra-1"), bucket("de-fra-1"))).toBe("served");
  });

  it("redirects to another zone's endpoint with 301 PermanentRedirect", () => {
    for (const signed of ["ch-gva-2", "us-east-1", null]) {
      expect(outcome(ctx("ch-gva-2", signed), bucket("de-fra-1"))).toEqual({
        code: "PermanentRedirect",
        status: 301,
        details: { Bucket: "b", Endpoint: "sos-de-fra-1.example.com" },
        region: "de-fra-1",
      });
    }
  });

  it("answers a wrong signing region for the endpoint's own bucket with the header or query code, naming the zone", () => {
    expect(outcome(ctx("ch-gva-2", "us-east-1"), bucket("ch-gva-2"))).toMatchObject({
      code: "AuthorizationHeaderMalformed",
      status: 400,
      details: { Region: "ch-gva-2" },
      region: "ch-gva-2",
    });
    expect(outcome(ctx("ch-gva-2", "auto", "GetObject", "AuthorizationQueryParametersError"), bucket("ch-gva-2"))).toMatchObject({
      code: "AuthorizationQueryParametersError",
      details: { Region: "ch-gva-2" },
    });
  });

  it("expects the endpoint's zone when no bucket is named, and answers GetBucketLocation everywhere", () => {
    expect(outcome(ctx("de-fra-1", "ch-gva-2", "ListBuckets"), null)).toMatchObject({ code: "AuthorizationHeaderMalformed", details: { Region: "de-fra-1" } });
    expect(outcome(ctx("de-fra-1", "de-fra-1", "CreateBucket"), null)).toBe("served");
    expect(outcome(ctx("ch-gva-2", "us-east-1", "GetBucketLocation"), bucket("de-fra-1"))).toBe("served");
  });

  it("creates buckets in the endpoint's zone, or the first zone on the generic endpoint", () => {
    expect(defaultZoneFor(ctx("de-fra-1", null))).toBe("de-fra-1");
    expect(defaultZoneFor(ctx(null, null))).toBe("ch-gva-2");
  });
});
