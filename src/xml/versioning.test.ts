import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { parseTagging, taggingDocument } from "./tagging";
import { listVersionsDocument, parseVersioningConfiguration, versioningDocument } from "./versioning";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const T = new Date(Date.UTC(2009, 9, 12, 17, 50, 30));
const OWNER = { id: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", displayName: "alice" };
const OWNER_XML = `<Owner><ID>${OWNER.id}</ID><DisplayName>alice</DisplayName></Owner>`;

function code(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return "no error";
}

describe("versioning configuration", () => {
  test("a never-versioned bucket answers no Status", () => {
    expect(versioningDocument(null)).toBe(`${DECL}<VersioningConfiguration ${NS}></VersioningConfiguration>`);
    expect(versioningDocument("Suspended")).toBe(`${DECL}<VersioningConfiguration ${NS}><Status>Suspended</Status></VersioningConfiguration>`);
  });

  test("parses Status and MfaDelete, with or without namespace", () => {
    expect(parseVersioningConfiguration(`<VersioningConfiguration ${NS}><Status>Enabled</Status></VersioningConfiguration>`)).toEqual({ status: "Enabled" });
    expect(
      parseVersioningConfiguration("<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"),
    ).toEqual({
      status: "Suspended",
      mfaDelete: "Disabled",
    });
  });

  test.each([
    ["", "MalformedXML"],
    ["not xml", "MalformedXML"],
    ["<Versioning><Status>Enabled</Status></Versioning>", "MalformedXML"],
    ["<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>", "MalformedXML"],
    ["<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>", "MalformedXML"],
    ["<VersioningConfiguration><Status>Enabled</Status><MfaDelete>On</MfaDelete></VersioningConfiguration>", "MalformedXML"],
    ["<VersioningConfiguration/>", "IllegalVersioningConfigurationException"],
    ["<VersioningConfiguration><Status></Status></VersioningConfiguration>", "IllegalVersioningConfigurationException"],
    ["<VersioningConfiguration><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>", "IllegalVersioningConfigurationException"],
  ])("%s -> %s", (xml, expected) => {
    expect(code(() => parseVersioningConfiguration(xml))).toBe(expected);
  });
});

describe("ListVersionsResult", () => {
  test("interleaves versions and delete markers in listing order, then CommonPrefixes", () => {
    expect(
      listVersionsDocument({
        name: "bucket",
        prefix: "",
        keyMarker: "",
        versionIdMarker: "",
        maxKeys: 1000,
        isTruncated: false,
        entries: [
          { key: "a", versionId: "v3", isLatest: true, lastModified: T, owner: OWNER, deleteMarker: false, etag: '"e3"', size: 3, storageClass: "STANDARD" },
          { key: "a", versionId: "v2", isLatest: false, lastModified: T, owner: OWNER, deleteMarker: true },
          {
            key: "a",
            versionId: "null",
            isLatest: false,
            lastModified: T,
            owner: OWNER,
            deleteMarker: false,
            etag: '"e1"',
            size: 1,
            storageClass: "STANDARD",
            checksumAlgorithm: "CRC32",
            checksumType: "FULL_OBJECT",
          },
        ],
        commonPrefixes: ["d/"],
      }),
    ).toBe(
      `${DECL}<ListVersionsResult ${NS}><Name>bucket</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>` +
        `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
        `<Version><Key>a</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
        `<ETag>&quot;e3&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass>${OWNER_XML}</Version>` +
        `<DeleteMarker><Key>a</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>${OWNER_XML}</DeleteMarker>` +
        `<Version><Key>a</Key><VersionId>null</VersionId><IsLatest>false</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
        `<ETag>&quot;e1&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size><StorageClass>STANDARD</StorageClass>${OWNER_XML}</Version>` +
        `<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListVersionsResult>`,
    );
  });

  test("truncated page with next markers; url encoding covers keys, markers, prefix and delimiter but not version ids", () => {
    expect(
      listVersionsDocument({
        name: "bucket",
        prefix: "p q/",
        keyMarker: "p q/ä",
        versionIdMarker: "v.1",
        nextKeyMarker: "p q/ü&",
        nextVersionIdMarker: "v_2",
        maxKeys: 1,
        delimiter: "/",
        encodingType: "url",
        isTruncated: true,
        entries: [{ key: "p q/ü&", versionId: "v_2", isLatest: true, lastModified: T, owner: OWNER, deleteMarker: true }],
        commonPrefixes: [],
      }),
    ).toBe(
      `${DECL}<ListVersionsResult ${NS}><Name>bucket</Name><Prefix>p+q/</Prefix><KeyMarker>p+q/%C3%A4</KeyMarker><VersionIdMarker>v.1</VersionIdMarker>` +
        `<NextKeyMarker>p+q/%C3%BC%26</NextKeyMarker><NextVersionIdMarker>v_2</NextVersionIdMarker><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter>` +
        `<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>` +
        `<DeleteMarker><Key>p+q/%C3%BC%26</Key><VersionId>v_2</VersionId><IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified>${OWNER_XML}</DeleteMarker>` +
        `</ListVersionsResult>`,
    );
  });

  test("escapes keys XML cannot carry raw", () => {
    const doc = listVersionsDocument({
      name: "b",
      prefix: "",
      keyMarker: "",
      versionIdMarker: "",
      maxKeys: 1,
      isTruncated: false,
      commonPrefixes: [],
      entries: [{ key: "a<\r\n>", versionId: "v", isLatest: true, lastModified: T, owner: OWNER, deleteMarker: true }],
    });
    expect(doc).toContain("<Key>a&lt;&#13;&#10;&gt;</Key>");
  });
});

describe("Tagging", () => {
  test("renders a tag set and the empty tag set", () => {
    expect(
      taggingDocument([
        { key: "a b", value: "x&y" },
        { key: "k", value: "" },
      ]),
    ).toBe(`${DECL}<Tagging ${NS}><TagSet><Tag><Key>a b</Key><Value>x&amp;y</Value></Tag><Tag><Key>k</Key><Value></Value></Tag></TagSet></Tagging>`);
    expect(taggingDocument([])).toBe(`${DECL}<Tagging ${NS}><TagSet></TagSet></Tagging>`);
  });

  test("parses what the SDKs send, keeping order and white space", () => {
    expect(parseTagging(`<Tagging ${NS}><TagSet><Tag><Key> k </Key><Value>v</Value></Tag><Tag><Key>e</Key><Value/></Tag></TagSet></Tagging>`)).toEqual([
      { key: " k ", value: "v" },
      { key: "e", value: "" },
    ]);
    expect(parseTagging("<Tagging><TagSet/></Tagging>")).toEqual([]);
  });

  test.each([
    "",
    "<Tagging/>",
    "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
    "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    "<Tagging><TagSet></TagSet><TagSet></TagSet></Tagging>",
    "<Tags><TagSet/></Tags>",
    "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>",
  ])("%s is MalformedXML", (xml) => {
    expect(code(() => parseTagging(xml))).toBe("MalformedXML");
  });
});
