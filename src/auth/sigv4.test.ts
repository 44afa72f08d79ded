/**
 * Vectors: "Examples of Signature Calculations" in the S3 API reference
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html,
 *  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html,
 *  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html and sigv4-streaming-trailers.html).
 */
import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { canonicalQuery, canonicalUri, percentDecodeBytes, rawTarget, uriEncodeBytes } from "./canonical";
import { EMPTY_SHA256 } from "./crypto";
import { parseAmzDate, parseAuthorizationV4, parsePresignedQuery } from "./sigv4-parse";
import { signingRequestFrom, verifySigV4Header, verifySigV4Presigned, type SigningRequest, type SigV4Options } from "./sigv4";

const AKID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE = "20130524T000000Z";
const NOW = new Date("2013-05-24T00:05:00Z");
const opts = (over: Partial<SigV4Options> = {}): SigV4Options => ({
  lookupSecret: async (id) => (id === AKID ? SECRET : null),
  allowedRegions: ["us-east-1", "auto"],
  now: NOW,
  ...over,
});
const authz = (signed: string, sig: string, region = "us-east-1") =>
  `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/${region}/s3/aws4_request,SignedHeaders=${signed},Signature=${sig}`;

function req(url: string, headers: Record<string, string>, method = "GET"): SigningRequest {
  const { path, query } = rawTarget(url);
  return { method, rawPath: path, rawQuery: query, headers: new Headers(headers), host: new URL(url).host };
}

async function s3error(p: Promise<unknown>): Promise<S3Error> {
  const e = await p.then(
    () => null,
    (e) => e,
  );
  expect(e).toBeInstanceOf(S3Error);
  return e as S3Error;
}

describe("AWS header-auth examples", () => {
  const base = { host: "examplebucket.s3.amazonaws.com", "x-amz-date": DATE, "x-amz-content-sha256": EMPTY_SHA256 };

  it("GET Object with Range", async () => {
    const r = req("https://examplebucket.s3.amazonaws.com/test.txt", {
      ...base,
      range: "bytes=0-9",
      authorization: authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    });
    const res = await verifySigV4Header(r, r.headers.get("authorization")!, opts());
    expect(res.accessKeyId).toBe(AKID);
    expect(res.payload).toEqual({ kind: "hex", hex: EMPTY_SHA256 });
    expect(res.chunkSigning.scope).toBe("20130524/us-east-1/s3/aws4_request");
  });

  it("PUT Object (key with $, Date header signed)", async () => {
    const r = req(
      "https://examplebucket.s3.amazonaws.com/test$file.text",
      {
        host: "examplebucket.s3.amazonaws.com",
        date: "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date": DATE,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        authorization: authz(
          "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
          "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        ),
      },
      "PUT",
    );
    const res = await verifySigV4Header(r, r.headers.get("authorization")!, opts());
    expect(res.payload).toEqual({ kind: "hex", hex: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" });
  });

  it("GET Bucket Lifecycle", async () => {
    const r = req("https://examplebucket.s3.amazonaws.com/?lifecycle", {
      ...base,
      authorization: authz("host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    });
    await expect(verifySigV4Header(r, r.headers.get("authorization")!, opts())).resolves.toBeTruthy();
  });

  it("GET Bucket (List Objects) with max-keys and prefix", async () => {
    const r = req("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", {
      ...base,
      authorization: authz("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    });
    await expect(verifySigV4Header(r, r.headers.get("authorization")!, opts())).resolves.toBeTruthy();
  });

  it("seed signatures of the chunked-upload examples", async () => {
    const chunked = (sha: string, sig: string) =>
      req(
        "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
        {
          host: "s3.amazonaws.com",
          "x-amz-date": DATE,
          "x-amz-storage-class": "REDUCED_REDUNDANCY",
          "x-amz-content-sha256": sha,
          "content-encoding": "aws-chunked",
          "x-amz-decoded-content-length": "66560",
          "content-length": "66824",
          authorization: authz("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class", sig),
        },
        "PUT",
      );
    const a = chunked("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    const ra = await verifySigV4Header(a, a.headers.get("authorization")!, opts());
    expect(ra.payload).toEqual({ kind: "streaming", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" });
    expect(ra.chunkSigning.seedSignature).toBe("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    // The trailer example sends Transfer-Encoding instead of Content-Length and signs x-amz-trailer.
    const b = req(
      "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
      {
        host: "s3.amazonaws.com",
        "x-amz-date": DATE,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "x-amz-trailer": "x-amz-checksum-crc32c",
        authorization: authz(
          "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
        ),
      },
      "PUT",
    );
    await expect(verifySigV4Header(b, b.headers.get("authorization")!, opts())).resolves.toBeTruthy();
  });

  it("works from a fetch Request (raw URL target, host header)", async () => {
    const r = new Request("https://examplebucket.s3.amazonaws.com/test.txt", {
      headers: { ...base, range: "bytes=0-9" },
    });
    const a = authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    await expect(verifySigV4Header(signingRequestFrom(r), a, opts())).resolves.toBeTruthy();
  });

  it("rejects a tampered request with SignatureDoesNotMatch and echoes the canonical request", async () => {
    const r = req("https://examplebucket.s3.amazonaws.com/test.txt", {
      ...base,
      range: "bytes=0-10",
      authorization: authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    });
    const e = await s3error(verifySigV4Header(r, r.headers.get("authorization")!, opts()));
    expect(e.code).toBe("SignatureDoesNotMatch");
    expect(e.details.AWSAccessKeyId).toBe(AKID);
    expect(e.details.SignatureProvided).toBe("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    expect(e.details.CanonicalRequest).toBe(
      `GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-10\nx-amz-content-sha256:${EMPTY_SHA256}\nx-amz-date:${DATE}\n\nhost;range;x-amz-content-sha256;x-amz-date\n${EMPTY_SHA256}`,
    );
    expect(String(e.details.StringToSign)).toMatch(/^AWS4-HMAC-SHA256\n20130524T000000Z\n20130524\/us-east-1\/s3\/aws4_request\n[0-9a-f]{64}$/);
  });
});

describe("header-auth checks before the signature", () => {
  const sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  const good = { host: "examplebucket.s3.amazonaws.com", "x-amz-date": DATE, "x-amz-content-sha256": EMPTY_SHA256, range: "bytes=0-9" };
  const run = (headers: Record<string, string>, a: string, o = opts()) => {
    const r = req("https://examplebucket.s3.amazonaws.com/test.txt", headers);
    return s3error(verifySigV4Header(r, a, o));
  };
  const A = authz("host;range;x-amz-content-sha256;x-amz-date", sig);

  it("unknown access key -> InvalidAccessKeyId", async () => {
    expect((await run(good, A, opts({ lookupSecret: async () => null }))).code).toBe("InvalidAccessKeyId");
  });
  it("region outside the allowed list -> AuthorizationHeaderMalformed naming the region", async () => {
    const e = await run(
      good,
      authz("host;range;x-amz-content-sha256;x-amz-date", sig, "eu-west-9"),
      opts({ allowedRegions: ["ch-gva-2", "us-east-1", "auto"] }),
    );
    expect(e.code).toBe("AuthorizationHeaderMalformed");
    expect(e.message).toBe("The authorization header is malformed; the region 'eu-west-9' is wrong; expecting 'ch-gva-2'");
    expect(e.details.Region).toBe("ch-gva-2");
  });
  it("wrong service / malformed credential / missing parts -> AuthorizationHeaderMalformed", async () => {
    expect((await run(good, A.replace("/s3/", "/iam/"))).message).toMatch(/incorrect service "iam"/);
    expect((await run(good, A.replace("Credential=AKIAIOSFODNN7EXAMPLE/20130524/", "Credential=AKIAIOSFODNN7EXAMPLE/"))).code).toBe(
      "AuthorizationHeaderMalformed",
    );
    expect((await run(good, A.replace(/,Signature=.*/, ""))).message).toMatch(/requires 'Signature'/);
  });
  it("clock skew beyond 15 minutes -> RequestTimeTooSkewed", async () => {
    const e = await run(good, A, opts({ now: new Date("2013-05-24T00:16:00Z") }));
    expect(e.code).toBe("RequestTimeTooSkewed");
    expect(e.details.MaxAllowedSkewMilliseconds).toBe(900000);
    expect((await run(good, A, opts({ now: new Date("2013-05-23T23:44:00Z") }))).code).toBe("RequestTimeTooSkewed");
  });
  it("no usable date -> AccessDenied; credential date differing from x-amz-date -> malformed", async () => {
    const { "x-amz-date": _, ...noDate } = good;
    expect((await run(noDate, A)).message).toBe("AWS authentication requires a valid Date or x-amz-date header");
    expect((await run({ ...good, "x-amz-date": "20130525T000000Z" }, A, opts({ now: new Date("2013-05-25T00:00:00Z") }))).message).toMatch(
      /Invalid credential date/,
    );
  });
  it("missing or invalid x-amz-content-sha256", async () => {
    const { "x-amz-content-sha256": _, ...noSha } = good;
    expect((await run(noSha, A)).code).toBe("InvalidRequest");
    expect((await run({ ...good, "x-amz-content-sha256": "nope" }, A)).code).toBe("InvalidArgument");
  });
});

describe("the signed-headers rule (header auth)", () => {
  // The AWS GET-with-Range example, replayed with headers the signer never saw.
  const signed = {
    host: "examplebucket.s3.amazonaws.com",
    "x-amz-date": DATE,
    "x-amz-content-sha256": EMPTY_SHA256,
    range: "bytes=0-9",
    authorization: authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
  };
  const run = (headers: Record<string, string>) => {
    const r = req("https://examplebucket.s3.amazonaws.com/test.txt", headers);
    return verifySigV4Header(r, r.headers.get("authorization")!, opts());
  };

  it("refuses every added x-amz-* header, naming them all", async () => {
    const e = await s3error(run({ ...signed, "x-amz-copy-source": "/other/secret.txt", "x-amz-acl": "public-read" }));
    expect([e.code, e.status, e.message]).toEqual(["AccessDenied", 403, "There were headers present in the request which were not signed"]);
    expect(e.details.HeadersNotSigned).toBe("x-amz-acl, x-amz-copy-source");
    for (const h of ["x-amz-server-side-encryption-customer-key", "x-amz-meta-a", "x-amz-tagging", "x-amz-storage-class"]) {
      expect((await s3error(run({ ...signed, [h]: "x" }))).details.HeadersNotSigned, h).toBe(h);
    }
  });
  it("lets unsigned body-framing headers through (their tampering fails the body checks), and x-amzn-* is not x-amz-*", async () => {
    await expect(run({ ...signed, "x-amz-decoded-content-length": "0" })).resolves.toBeTruthy();
    await expect(run({ ...signed, "x-amzn-trace-id": "Root=1-abc" })).resolves.toBeTruthy(); // the SDKs leave it unsigned
  });
  it("requires host among the signed headers", async () => {
    const e = await s3error(run({ ...signed, authorization: authz("range;x-amz-content-sha256;x-amz-date", "0".repeat(64)) }));
    expect([e.code, e.details.HeadersNotSigned]).toEqual(["AccessDenied", "host"]);
  });
  it("checks before the key is looked up (no secret needed to refuse)", async () => {
    let looked = false;
    const r = req("https://examplebucket.s3.amazonaws.com/test.txt", { ...signed, "x-amz-acl": "private" });
    const e = await s3error(
      verifySigV4Header(
        r,
        signed.authorization,
        opts({
          lookupSecret: async () => {
            looked = true;
            return SECRET;
          },
        }),
      ),
    );
    expect([e.code, looked]).toEqual(["AccessDenied", false]);
  });
});

describe("presigned URL (AWS example: GET /test.txt, X-Amz-Expires=86400)", () => {
  const url =
    "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
    "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  const run = (u: string, o = opts(), headers: Record<string, string> = { host: "examplebucket.s3.amazonaws.com" }) => {
    const r = req(u, headers);
    return verifySigV4Presigned(r, new URLSearchParams(r.rawQuery), o);
  };

  it("verifies", async () => {
    const res = await run(url);
    expect(res.accessKeyId).toBe(AKID);
    expect(res.payload).toEqual({ kind: "unsigned" });
  });
  it("verifies until the last second, then AccessDenied 'Request has expired'", async () => {
    await expect(run(url, opts({ now: new Date("2013-05-25T00:00:00Z") }))).resolves.toBeTruthy();
    const e = await s3error(run(url, opts({ now: new Date("2013-05-25T00:00:01Z") })));
    expect([e.code, e.message]).toEqual(["AccessDenied", "Request has expired"]);
    expect(e.details.Expires).toBe("2013-05-25T00:00:00Z");
  });
  it("not yet valid beyond the skew -> AccessDenied", async () => {
    expect((await s3error(run(url, opts({ now: new Date("2013-05-23T23:44:00Z") })))).code).toBe("AccessDenied");
  });
  it("X-Amz-Expires out of range -> AuthorizationQueryParametersError", async () => {
    for (const v of ["604801", "0", "-1", "abc"]) {
      const e = await s3error(run(url.replace("X-Amz-Expires=86400", `X-Amz-Expires=${v}`)));
      expect(e.code, v).toBe("AuthorizationQueryParametersError");
    }
  });
  it("missing parameters / bad region -> AuthorizationQueryParametersError", async () => {
    expect((await s3error(run(url.replace("&X-Amz-SignedHeaders=host", "")))).code).toBe("AuthorizationQueryParametersError");
    const e = await s3error(run(url.replace("us-east-1", "mars-1")));
    expect(e.message).toBe("Error parsing the X-Amz-Credential parameter; the region 'mars-1' is wrong; expecting 'us-east-1'");
  });
  it("tampered query -> SignatureDoesNotMatch", async () => {
    expect((await s3error(run(url + "&x-id=GetObject"))).code).toBe("SignatureDoesNotMatch");
  });
  it("unsigned x-amz-* header -> AccessDenied HeadersNotSigned", async () => {
    const e = await s3error(run(url, opts(), { host: "examplebucket.s3.amazonaws.com", "x-amz-acl": "public-read" }));
    expect(e.code).toBe("AccessDenied");
    expect(e.details.HeadersNotSigned).toBe("x-amz-acl");
  });
  it("requires host among the signed headers", async () => {
    const e = await s3error(
      run(url.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range"), opts(), { host: "examplebucket.s3.amazonaws.com", range: "bytes=0-1" }),
    );
    expect([e.code, e.details.HeadersNotSigned]).toEqual(["AccessDenied", "host"]);
  });
});

describe("canonicalisation details", () => {
  it("raw target keeps dot segments and escapes as sent", () => {
    expect(rawTarget("https://h/a/../b%2fc/./d?x=1#frag")).toEqual({ path: "/a/../b%2fc/./d", query: "x=1" });
    expect(rawTarget("https://h")).toEqual({ path: "/", query: "" });
    expect(rawTarget("https://h?list-type=2")).toEqual({ path: "/", query: "list-type=2" });
  });
  it("canonical URI: decode once, UriEncode each segment, never normalise", () => {
    expect(canonicalUri("/test$file.text")).toBe("/test%24file.text");
    expect(canonicalUri("/a%20b/c+d/%7Ee/f~g")).toBe("/a%20b/c%2Bd/~e/f~g");
    expect(canonicalUri("/fran%c3%a7ais/%2F/..//x")).toBe("/fran%C3%A7ais/%2F/..//x");
    expect(canonicalUri("/bad%zz%")).toBe("/bad%25zz%25");
    expect(canonicalUri("/caf\u00e9")).toBe("/caf%C3%A9");
  });
  it("canonical query: sorted, empty values, '+' as space, signature excluded", () => {
    expect(canonicalQuery("prefix=J&max-keys=2")).toBe("max-keys=2&prefix=J");
    expect(canonicalQuery("uploads&acl=")).toBe("acl=&uploads=");
    expect(canonicalQuery("a=x+y&b=%2b&c=%7e*")).toBe("a=x%20y&b=%2B&c=~%2A");
    expect(canonicalQuery("X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Signature")).toBe("X-Amz-Date=1");
    expect(canonicalQuery("a=2&a=1&B=0")).toBe("B=0&a=1&a=2");
    expect(canonicalQuery("a=b=c&d")).toBe("a=b%3Dc&d=");
  });
  it("plain paths and queries (the fast path) canonicalise exactly as the byte round trip does", () => {
    const roundTrip = (s: string, plusIsSpace: boolean) => uriEncodeBytes(percentDecodeBytes(s, plusIsSpace));
    const alphabet = ["a", "Z", "0", "-", ".", "_", "~", "/", "%", "2", "F", "+", " ", "=", "&", "$", "*", "\u00e9"];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join("");
      const path = `/${s}`;
      expect(canonicalUri(path)).toBe(
        path
          .split("/")
          .map((seg) => roundTrip(seg, false))
          .join("/"),
      );
      const pairs = s
        .split("&")
        .filter(Boolean)
        .map((p) => {
          const eq = p.indexOf("=");
          return [roundTrip(eq >= 0 ? p.slice(0, eq) : p, true), roundTrip(eq >= 0 ? p.slice(eq + 1) : "", true)];
        });
      pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
      expect(canonicalQuery(s)).toBe(pairs.map(([k, v]) => `${k}=${v}`).join("&"));
    }
  });
  it("parses header variants and dates", () => {
    const p = parseAuthorizationV4("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc");
    expect(p.credential).toEqual({ accessKeyId: "AK", date: "20130524", region: "us-east-1", service: "s3", terminal: "aws4_request" });
    expect(p.signedHeaderList).toEqual(["host", "x-amz-date"]);
    expect(parseAmzDate("20130230T000000Z")).toBeNull();
    expect(parseAmzDate("20130524T000000Z")?.toISOString()).toBe("2013-05-24T00:00:00.000Z");
    expect(() => parsePresignedQuery(new URLSearchParams("X-Amz-Algorithm=AWS4-HMAC-SHA1"))).toThrow(S3Error);
  });
});
