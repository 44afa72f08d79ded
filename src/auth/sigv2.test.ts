/**
 * Vectors: the examples of "Authenticating Requests (AWS Signature Version 2)" in the S3 user guide
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html), bucket "johnsmith".
 */
import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { rawTarget } from "./canonical";
import { canonicalResourceV2, stringToSignV2, verifySigV2Header, verifySigV2Query, type SigV2Options } from "./sigv2";
import type { SigningRequest } from "./sigv4";

const AKID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function req(method: string, url: string, headers: Record<string, string> | [string, string][]): SigningRequest {
  const { path, query } = rawTarget(url);
  return { method, rawPath: path, rawQuery: query, headers: new Headers(headers), host: new URL(url).host };
}
const opts = (now: string, bucket?: string, over: Partial<SigV2Options> = {}): SigV2Options => ({
  lookupSecret: async (id) => (id === AKID ? SECRET : null),
  bucket,
  now: new Date(now),
  ...over,
});
const auth = (sig: string) => `AWS ${AKID}:${sig}`;
async function s3error(p: Promise<unknown>): Promise<S3Error> {
  const e = await p.then(
    () => null,
    (e) => e,
  );
  expect(e).toBeInstanceOf(S3Error);
  return e as S3Error;
}

describe("AWS SigV2 examples", () => {
  it("Object GET (virtual-hosted: the bucket prefixes the resource)", async () => {
    const r = req("GET", "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg", { date: "Tue, 27 Mar 2007 19:36:42 +0000" });
    expect(stringToSignV2(r, "Tue, 27 Mar 2007 19:36:42 +0000", canonicalResourceV2(r.rawPath, r.rawQuery, "johnsmith"))).toBe(
      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
    );
    const res = await verifySigV2Header(r, auth("bWq2s1WEIj+Ydj0vQ697zp+IXMU="), opts("2007-03-27T19:40:00Z", "johnsmith"));
    expect(res.accessKeyId).toBe(AKID);
  });

  it("Object PUT (Content-Type signed)", async () => {
    const r = req("PUT", "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg", {
      "content-type": "image/jpeg",
      "content-length": "94328",
      date: "Tue, 27 Mar 2007 21:15:45 +0000",
    });
    await expect(verifySigV2Header(r, auth("MyyxeRY7whkBe+bq8fHCL/2kKUg="), opts("2007-03-27T21:15:45Z", "johnsmith"))).resolves.toBeTruthy();
  });

  it("List (query parameters that are not sub-resources are not signed)", async () => {
    const r = req("GET", "https://johnsmith.s3.amazonaws.com/?prefix=photos&max-keys=50&marker=puppy", {
      "user-agent": "Mozilla/5.0",
      date: "Tue, 27 Mar 2007 19:42:41 +0000",
    });
    await expect(verifySigV2Header(r, auth("htDYFYduRNen8P9ZfE/s9SuKy0U="), opts("2007-03-27T19:42:41Z", "johnsmith"))).resolves.toBeTruthy();
  });

  it("Fetch ACL (?acl sub-resource)", async () => {
    const r = req("GET", "https://johnsmith.s3.amazonaws.com/?acl", { date: "Tue, 27 Mar 2007 19:44:46 +0000" });
    expect(canonicalResourceV2(r.rawPath, r.rawQuery, "johnsmith")).toBe("/johnsmith/?acl");
    await expect(verifySigV2Header(r, auth("c2WLPFtWHVgbEmeEG93a4cG37dM="), opts("2007-03-27T19:44:46Z", "johnsmith"))).resolves.toBeTruthy();
  });

  it("Delete (path-style; x-amz-date overrides Date: the example puts its value on the Date line)", async () => {
    const r = req("DELETE", "https://s3.amazonaws.com/johnsmith/photos/puppy.jpg", {
      "user-agent": "dotnet",
      date: "Tue, 27 Mar 2007 21:20:27 +0000",
      "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000",
    });
    await expect(verifySigV2Header(r, auth("lx3byBScXR6KzyMaifNkardMwNk="), opts("2007-03-27T21:20:26Z"))).resolves.toBeTruthy();
    // ...and the documented rule (empty Date line, x-amz-date as an amz header), which s3cmd follows:
    // HMAC-SHA1 of "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg".
    await expect(verifySigV2Header(r, auth("R4dJ53KECjStyBO5iTBJZ4XVOaI="), opts("2007-03-27T21:20:26Z"))).resolves.toBeTruthy();
  });

  it("Upload (x-amz-* headers canonicalised; repeated header joined by ',')", async () => {
    const r = req("PUT", "https://static.johnsmith.net:8080/db-backup.dat.gz", [
      ["user-agent", "curl/7.15.5"],
      ["date", "Tue, 27 Mar 2007 21:06:08 +0000"],
      ["x-amz-acl", "public-read"],
      ["content-type", "application/x-download"],
      ["content-md5", "4gJE4saaMU4BqNR0kLY+lw=="],
      ["X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"],
      ["X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"],
      ["X-Amz-Meta-FileChecksum", "0x02661779"],
      ["X-Amz-Meta-ChecksumAlgorithm", "crc32"],
      ["content-disposition", "attachment; filename=database.dat"],
      ["content-encoding", "gzip"],
      ["content-length", "5913339"],
    ]);
    expect(stringToSignV2(r, "Tue, 27 Mar 2007 21:06:08 +0000", canonicalResourceV2(r.rawPath, r.rawQuery, "static.johnsmith.net"), true)).toBe(
      "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" +
        "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n" +
        "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
    );
    await expect(verifySigV2Header(r, auth("ilyl83RwaSoYIEdixDQcA4OnAnc="), opts("2007-03-27T21:06:08Z", "static.johnsmith.net"))).resolves.toBeTruthy();
  });

  it("List all buckets", async () => {
    const r = req("GET", "https://s3.amazonaws.com/", { date: "Wed, 28 Mar 2007 01:29:59 +0000" });
    await expect(verifySigV2Header(r, auth("qGdzdERIC03wnaRNKh6OqZehG9s="), opts("2007-03-28T01:29:59Z"))).resolves.toBeTruthy();
  });

  it("Unicode keys (the path is signed exactly as sent, lowercase escapes included)", async () => {
    const r = req("GET", "https://s3.amazonaws.com/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", { date: "Wed, 28 Mar 2007 01:49:49 +0000" });
    await expect(verifySigV2Header(r, auth("DNEZGsoieTZ92F3bUfSPQcbGmlM="), opts("2007-03-28T01:49:49Z"))).resolves.toBeTruthy();
  });

  it("Query string authentication (presigned GET)", async () => {
    const url =
      "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
    const r = req("GET", url, {});
    const p = new URLSearchParams(r.rawQuery);
    await expect(verifySigV2Query(r, p, opts("2007-03-29T03:00:00Z", "johnsmith"))).resolves.toEqual({ accessKeyId: AKID });
    // an unescaped "+" in the signature still verifies
    const r2 = req("GET", url.replace("%2B", "+"), {});
    await expect(verifySigV2Query(r2, new URLSearchParams(r2.rawQuery), opts("2007-03-29T03:00:00Z", "johnsmith"))).resolves.toBeTruthy();
    const e = await s3error(verifySigV2Query(r, p, opts("2007-03-29T03:40:21Z", "johnsmith")));
    expect([e.code, e.message]).toEqual(["AccessDenied", "Request has expired"]);
  });
});

describe("SigV2 failures", () => {
  const r = () => req("GET", "https://johnsmith.s3.amazonaws.com/photos/puppy.jpg", { date: "Tue, 27 Mar 2007 19:36:42 +0000" });
  const now = "2007-03-27T19:40:00Z";

  it("wrong signature -> SignatureDoesNotMatch with the string to sign", async () => {
    const e = await s3error(verifySigV2Header(r(), auth("AAAAs1WEIj+Ydj0vQ697zp+IXMU="), opts(now, "johnsmith")));
    expect(e.code).toBe("SignatureDoesNotMatch");
    expect(e.details.StringToSign).toBe("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
  });
  it("path-style vs virtual-host matters", async () => {
    expect((await s3error(verifySigV2Header(r(), auth("bWq2s1WEIj+Ydj0vQ697zp+IXMU="), opts(now)))).code).toBe("SignatureDoesNotMatch");
  });
  it("unknown key, skew, missing date, malformed header", async () => {
    expect((await s3error(verifySigV2Header(r(), auth("x"), opts(now, "johnsmith", { lookupSecret: async () => null })))).code).toBe("InvalidAccessKeyId");
    expect((await s3error(verifySigV2Header(r(), auth("x"), opts("2007-03-27T20:00:00Z", "johnsmith")))).code).toBe("RequestTimeTooSkewed");
    const noDate = req("GET", "https://johnsmith.s3.amazonaws.com/a", {});
    expect((await s3error(verifySigV2Header(noDate, auth("x"), opts(now)))).code).toBe("AccessDenied");
    expect((await s3error(verifySigV2Header(r(), "AWS nocolon", opts(now)))).code).toBe("InvalidArgument");
  });
  it("sub-resources: sorted, decoded values, others dropped", () => {
    expect(canonicalResourceV2("/k", "versionId=a%2Fb&uploadId=1&x-id=GetObject&acl&response-content-type=text%2Fplain")).toBe(
      "/k?acl&response-content-type=text/plain&uploadId=1&versionId=a/b",
    );
  });
});
