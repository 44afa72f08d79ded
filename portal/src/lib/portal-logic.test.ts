// The portal's pure logic: request documents, CORS and tag/metadata rules, part sizes.
import { describe, expect, it } from "vitest";
import { corsProblems, splitList } from "./cors";
import { bucketNameProblem, formatBytes, metadataProblems, metadataToSend, partSizeFor, relativeName, tagProblems } from "./rules";
import { objectUrl } from "./s3";
import { aclXml, ALL_USERS, completeMultipartXml, corsXml, createBucketXml, deleteObjectsXml, escapeXml, taggingXml, versioningXml } from "./xml";

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const strip = (xml: string) => xml.replace(/^<\?xml[^>]*>\n/, "");

describe("request documents", () => {
  it("escapes the five XML specials", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });

  it("builds tagging, versioning and CreateBucket bodies", () => {
    expect(strip(taggingXml([{ key: "a&b", value: "<1>" }]))).toBe(
      `<Tagging ${NS}><TagSet><Tag><Key>a&amp;b</Key><Value>&lt;1&gt;</Value></Tag></TagSet></Tagging>`,
    );
    expect(strip(versioningXml("Suspended"))).toBe(`<VersioningConfiguration ${NS}><Status>Suspended</Status></VersioningConfiguration>`);
    expect(createBucketXml(undefined)).toBeUndefined();
    expect(strip(createBucketXml("de-fra-1")!)).toBe(
      `<CreateBucketConfiguration ${NS}><LocationConstraint>de-fra-1</LocationConstraint></CreateBucketConfiguration>`,
    );
  });

  it("builds DeleteObjects (quiet, with versions) and CompleteMultipartUpload (parts sorted)", () => {
    expect(strip(deleteObjectsXml([{ key: "a" }, { key: "b", versionId: "v1" }]))).toBe(
      `<Delete ${NS}><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v1</VersionId></Object></Delete>`,
    );
    expect(
      strip(
        completeMultipartXml([
          { partNumber: 2, etag: '"e2"' },
          { partNumber: 1, etag: '"e1"' },
        ]),
      ),
    ).toBe(
      `<CompleteMultipartUpload ${NS}><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>`,
    );
  });

  it("builds CORS rules in the order S3 documents them", () => {
    const xml = corsXml([
      { id: "web", allowedOrigins: ["https://a.example"], allowedMethods: ["GET", "PUT"], allowedHeaders: ["*"], exposeHeaders: ["ETag"], maxAgeSeconds: 600 },
    ]);
    expect(strip(xml)).toBe(
      `<CORSConfiguration ${NS}><CORSRule><ID>web</ID><AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
    );
  });

  it("builds an ACL with canonical, e-mail and group grantees", () => {
    const xml = aclXml({
      owner: { id: "o1", displayName: "root" },
      grants: [
        { grantee: { type: "CanonicalUser", id: "u2" }, permission: "READ" },
        { grantee: { type: "AmazonCustomerByEmail", email: "a@b.example" }, permission: "WRITE_ACP" },
        { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" },
      ],
    });
    expect(strip(xml)).toBe(
      `<AccessControlPolicy ${NS}><Owner><ID>o1</ID><DisplayName>root</DisplayName></Owner><AccessControlList>` +
        `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>u2</ID></Grantee><Permission>READ</Permission></Grant>` +
        `<Grant><Grantee ${XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.example</EmailAddress></Grantee><Permission>WRITE_ACP</Permission></Grant>` +
        `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>` +
        `</AccessControlList></AccessControlPolicy>`,
    );
  });
});

describe("rules explained as you type", () => {
  it("bucket names: the Worker's own rules", () => {
    expect(bucketNameProblem("photos-2024")).toBeNull();
    expect(bucketNameProblem("ab")).toMatch(/between 3 and 63/);
    expect(bucketNameProblem("Photos")).toMatch(/lowercase letters/);
    expect(bucketNameProblem("_portal")).toMatch(/lowercase letters|begin and end/);
    expect(bucketNameProblem("192.168.5.4")).toMatch(/IP address/);
  });

  it("CORS rules: origin and method needed, S3's methods only, one wildcard", () => {
    const ok = { allowedOrigins: ["https://a.example"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: [] };
    expect(corsProblems([ok])).toEqual([]);
    expect(corsProblems([])).toEqual(["Add at least one rule (or delete the CORS configuration)."]);
    expect(corsProblems([{ ...ok, allowedOrigins: [], allowedMethods: ["PATCH"] }])).toEqual([
      "Rule 1: give at least one allowed origin.",
      'Rule 1: "PATCH" is not a method S3 allows (GET, PUT, POST, DELETE, HEAD).',
    ]);
    expect(corsProblems([{ ...ok, allowedOrigins: ["https://*.*.example"], exposeHeaders: ["x-*"], maxAgeSeconds: -1 }])).toHaveLength(3);
    expect(splitList(" a, b\n\nc ")).toEqual(["a", "b", "c"]);
  });

  it("tags: count, lengths, reserved prefix, duplicates", () => {
    expect(tagProblems([{ key: "a", value: "1" }], 10)).toEqual([]);
    const many = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: "" }));
    expect(tagProblems(many, 10)).toEqual(["At most 10 tags are allowed (there are 11)."]);
    expect(
      tagProblems(
        [
          { key: "", value: "" },
          { key: "aws:x", value: "v".repeat(257) },
          { key: "aws:x", value: "" },
        ],
        10,
      ),
    ).toEqual([
      "Tag 1: the key is empty.",
      "Tag 2: the value is longer than 256 characters.",
      'Tag 2: keys starting with "aws:" are reserved.',
      'Tag 3: keys starting with "aws:" are reserved.',
      'Tag 3: the key "aws:x" is used twice.',
    ]);
  });

  it("user metadata: header-name characters, case-insensitive duplicates, 2 KiB in all", () => {
    expect(metadataProblems([{ key: "color", value: "blue" }])).toEqual([]);
    expect(metadataProblems([{ key: "has space", value: "x" }])[0]).toMatch(/not a valid header name/);
    expect(
      metadataProblems([
        { key: "A", value: "1" },
        { key: "a", value: "2" },
      ])[0],
    ).toMatch(/used twice/);
    expect(metadataProblems([{ key: "x", value: "line\nbreak" }])[0]).toMatch(/printable ASCII/);
    expect(metadataProblems([{ key: "big", value: "v".repeat(2046) }])).toEqual(["User metadata is 2049 bytes; at most 2048 are allowed."]);
  });
});

describe("helpers", () => {
  it("does not save an unchanged gzip Content-Encoding, which may be the transport's compression", () => {
    const loaded = { "Content-Type": "text/plain", "Content-Encoding": "gzip" };
    expect(metadataToSend({ ...loaded, "Cache-Control": "no-cache" }, loaded)).toEqual({ "Content-Type": "text/plain", "Cache-Control": "no-cache" });
    expect(metadataToSend({ ...loaded, "Content-Encoding": "br" }, loaded)["Content-Encoding"]).toBe("br");
    expect(metadataToSend({ "Content-Encoding": "x-custom" }, { "Content-Encoding": "x-custom" })).toEqual({ "Content-Encoding": "x-custom" });
  });

  it("part sizes stay at least 5 MiB and within 10,000 parts", () => {
    const MiB = 1024 * 1024;
    expect(partSizeFor(6 * MiB, 5 * MiB)).toBe(5 * MiB);
    expect(partSizeFor(1, 1)).toBe(5 * MiB);
    const huge = 200 * 1024 * MiB;
    expect(Math.ceil(huge / partSizeFor(huge, 8 * MiB))).toBeLessThanOrEqual(10000);
  });

  it("formats sizes, relative names and path-style URLs with encoded keys", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(6 * 1024 * 1024)).toBe("6.0 MiB");
    expect(relativeName("photos/2024/a.jpg", "photos/")).toBe("2024/a.jpg");
    expect(objectUrl("http://h", "b", "a dir/ü?#.txt", { versionId: "v 1", acl: "" })).toBe("http://h/b/a%20dir/%C3%BC%3F%23.txt?versionId=v%201&acl");
  });
});
