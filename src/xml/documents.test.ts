import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import {
  errorDocument,
  listBucketsDocument,
  listObjectsV1Document,
  listObjectsV2Document,
  locationDocument,
  parseCreateBucketConfiguration,
  s3UrlEncode,
} from "./documents";
import { parseXml } from "./xml";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const T = new Date(Date.UTC(2009, 9, 12, 17, 50, 30));
const OWNER = { id: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", displayName: "alice" };

describe("errorDocument", () => {
  test("Code, Message, details, Resource, RequestId, HostId; no namespace", () => {
    expect(
      errorDocument({
        code: "NoSuchKey",
        message: "The specified key does not exist.",
        requestId: "4442587FB7D0A2F9",
        hostId: "h0st",
        resource: "/mybucket/myfoto.jpg",
        details: { Key: "myfoto.jpg", BucketName: "mybucket", Skipped: undefined, Code: "ignored" },
      }),
    ).toBe(
      `${DECL}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>` +
        `<Key>myfoto.jpg</Key><BucketName>mybucket</BucketName><Resource>/mybucket/myfoto.jpg</Resource>` +
        `<RequestId>4442587FB7D0A2F9</RequestId><HostId>h0st</HostId></Error>`,
    );
  });

  test("minimal, numeric details, escaping", () => {
    expect(
      errorDocument({
        code: "InvalidRange",
        message: "The requested range is not satisfiable",
        requestId: "r1",
        details: { RangeRequested: "bytes=10-", ActualObjectSize: 5, CanonicalRequest: "GET\n/a&b" },
      }),
    ).toBe(
      `${DECL}<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message>` +
        `<RangeRequested>bytes=10-</RangeRequested><ActualObjectSize>5</ActualObjectSize>` +
        `<CanonicalRequest>GET&#10;/a&amp;b</CanonicalRequest><RequestId>r1</RequestId></Error>`,
    );
  });
});

describe("bucket documents", () => {
  test("ListAllMyBucketsResult", () => {
    expect(
      listBucketsDocument({
        owner: OWNER,
        buckets: [
          { name: "alpha", creationDate: T, region: "ch-gva-2" },
          { name: "beta", creationDate: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) },
        ],
      }),
    ).toBe(
      `${DECL}<ListAllMyBucketsResult ${NS}><Owner><ID>${OWNER.id}</ID><DisplayName>alice</DisplayName></Owner>` +
        `<Buckets><Bucket><Name>alpha</Name><CreationDate>2009-10-12T17:50:30.000Z</CreationDate>` +
        `<BucketRegion>ch-gva-2</BucketRegion></Bucket>` +
        `<Bucket><Name>beta</Name><CreationDate>2024-01-02T03:04:05.678Z</CreationDate></Bucket></Buckets>` +
        `</ListAllMyBucketsResult>`,
    );
  });

  test("ListAllMyBucketsResult: empty, with continuation token and prefix", () => {
    expect(listBucketsDocument({ owner: OWNER, buckets: [], continuationToken: "tok", prefix: "a" })).toBe(
      `${DECL}<ListAllMyBucketsResult ${NS}><Owner><ID>${OWNER.id}</ID><DisplayName>alice</DisplayName></Owner>` +
        `<Buckets></Buckets><ContinuationToken>tok</ContinuationToken><Prefix>a</Prefix></ListAllMyBucketsResult>`,
    );
  });

  test("LocationConstraint", () => {
    expect(locationDocument("ch-gva-2")).toBe(`${DECL}<LocationConstraint ${NS}>ch-gva-2</LocationConstraint>`);
    expect(locationDocument("")).toBe(`${DECL}<LocationConstraint ${NS}></LocationConstraint>`);
  });

  test("parseCreateBucketConfiguration", () => {
    expect(parseCreateBucketConfiguration("")).toEqual({});
    expect(parseCreateBucketConfiguration(" \n")).toEqual({});
    expect(
      parseCreateBucketConfiguration(
        `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
          `<LocationConstraint>de-fra-1</LocationConstraint></CreateBucketConfiguration>`,
      ),
    ).toEqual({ locationConstraint: "de-fra-1" });
    expect(parseCreateBucketConfiguration("<CreateBucketConfiguration/>")).toEqual({});
    expect(parseCreateBucketConfiguration("<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>")).toEqual({});
    for (const bad of [
      "<CreateBucketConfiguration>",
      "<Other><LocationConstraint>x</LocationConstraint></Other>",
      "<CreateBucketConfiguration><LocationConstraint><A/></LocationConstraint></CreateBucketConfiguration>",
      "<CreateBucketConfiguration>text</CreateBucketConfiguration>",
    ]) {
      expect(() => parseCreateBucketConfiguration(bad), bad).toThrow(S3Error);
    }
  });
});

describe("s3UrlEncode", () => {
  test("form-encoding of UTF-8 bytes with S3's safe set", () => {
    expect(s3UrlEncode("photos/2006/a b+c.jpg")).toBe("photos/2006/a+b%2Bc.jpg");
    expect(s3UrlEncode("AZaz09-_.*/")).toBe("AZaz09-_.*/");
    expect(s3UrlEncode("~!'()&=?#%")).toBe("%7E%21%27%28%29%26%3D%3F%23%25");
    expect(s3UrlEncode("\u0000\u0001\r\n")).toBe("%00%01%0D%0A");
    expect(s3UrlEncode("é😀")).toBe("%C3%A9%F0%9F%98%80");
    expect(s3UrlEncode("\uffff")).toBe("%EF%BF%BF");
  });

  test("inverse of unquote_plus", () => {
    const unquotePlus = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    for (const s of ["a b", "a+b", "\u0001%", "x/y/z ", "日本語 キー", "😀\uffff"]) expect(unquotePlus(s3UrlEncode(s))).toBe(s);
  });
});

describe("ListBucketResult v1", () => {
  const contents = [{ key: "my-image.jpg", lastModified: T, etag: '"fba9dede5f27731c9771645a39863328"', size: 434234, storageClass: "STANDARD", owner: OWNER }];

  test("plain listing", () => {
    expect(
      listObjectsV1Document({
        name: "bucket",
        prefix: "",
        marker: "",
        maxKeys: 1000,
        isTruncated: false,
        contents,
        commonPrefixes: [],
      }),
    ).toBe(
      `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix></Prefix><Marker></Marker>` +
        `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
        `<Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
        `<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>` +
        `<Owner><ID>${OWNER.id}</ID><DisplayName>alice</DisplayName></Owner>` +
        `<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`,
    );
  });

  test("delimiter, truncation, NextMarker, common prefixes, url encoding", () => {
    const xml = listObjectsV1Document({
      name: "bucket",
      prefix: "photos/ 2006/",
      delimiter: "/",
      marker: "photos/ 2006/a b",
      nextMarker: "photos/ 2006/fé/",
      maxKeys: 2,
      encodingType: "url",
      isTruncated: true,
      contents: [{ key: "photos/ 2006/c+d", lastModified: T, etag: '"x"', size: 0, storageClass: "STANDARD" }],
      commonPrefixes: ["photos/ 2006/fé/"],
    });
    expect(xml).toBe(
      `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix>photos/+2006/</Prefix>` +
        `<Marker>photos/+2006/a+b</Marker><NextMarker>photos/+2006/f%C3%A9/</NextMarker>` +
        `<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>` +
        `<Contents><Key>photos/+2006/c%2Bd</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
        `<ETag>&quot;x&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>` +
        `<CommonPrefixes><Prefix>photos/+2006/f%C3%A9/</Prefix></CommonPrefixes></ListBucketResult>`,
    );
  });

  test("without encoding, control characters in keys are escaped and round-trip", () => {
    const key = "a\u0001b\rc&";
    const xml = listObjectsV1Document({
      name: "b",
      prefix: "",
      marker: "",
      maxKeys: 1000,
      isTruncated: false,
      contents: [{ key, lastModified: T, etag: '"e"', size: 1, storageClass: "STANDARD" }],
      commonPrefixes: [],
    });
    expect(xml).toContain("<Key>a&#1;b&#13;c&amp;</Key>");
    expect(parseXml(xml)).toMatchObject({ ListBucketResult: { Contents: { Key: key } } });
  });
});

describe("ListBucketResult v2", () => {
  test("first page with delimiter and several common prefixes", () => {
    expect(
      listObjectsV2Document({
        name: "bucket",
        prefix: "",
        delimiter: "/",
        maxKeys: 3,
        keyCount: 3,
        isTruncated: true,
        nextContinuationToken: "AXNvbWU",
        contents: [{ key: "a.txt", lastModified: T, etag: '"1"', size: 1, storageClass: "STANDARD", checksumAlgorithm: ["CRC32"] }],
        commonPrefixes: ["b/", "c/"],
      }),
    ).toBe(
      `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix></Prefix>` +
        `<NextContinuationToken>AXNvbWU</NextContinuationToken><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>` +
        `<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>` +
        `<Contents><Key>a.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;1&quot;</ETag>` +
        `<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>` +
        `<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>` +
        `</ListBucketResult>`,
    );
  });

  test("continuation, start-after, url encoding (tokens are not encoded), fetch-owner", () => {
    expect(
      listObjectsV2Document({
        name: "bucket",
        prefix: "a b",
        maxKeys: 1000,
        keyCount: 1,
        encodingType: "url",
        isTruncated: false,
        continuationToken: "AW+/=",
        startAfter: "a b/0",
        contents: [{ key: "a b/1", lastModified: T, etag: '"2"', size: 5, storageClass: "STANDARD", owner: OWNER }],
        commonPrefixes: [],
      }),
    ).toBe(
      `${DECL}<ListBucketResult ${NS}><Name>bucket</Name><Prefix>a+b</Prefix><StartAfter>a+b/0</StartAfter>` +
        `<ContinuationToken>AW+/=</ContinuationToken><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>` +
        `<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>` +
        `<Contents><Key>a+b/1</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;2&quot;</ETag>` +
        `<Size>5</Size><Owner><ID>${OWNER.id}</ID><DisplayName>alice</DisplayName></Owner>` +
        `<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`,
    );
  });

  test("empty result", () => {
    expect(listObjectsV2Document({ name: "b", prefix: "none/", maxKeys: 1000, keyCount: 0, isTruncated: false, contents: [], commonPrefixes: [] })).toBe(
      `${DECL}<ListBucketResult ${NS}><Name>b</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount>` +
        `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
  });
});
