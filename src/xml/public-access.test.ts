import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { ownershipControlsDocument, parseOwnershipControls, parsePublicAccessBlock, policyStatusDocument, publicAccessBlockDocument } from "./public-access";

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return undefined;
}

describe("PublicAccessBlockConfiguration", () => {
  it("reads each setting, absent ones as false", () => {
    expect(
      parsePublicAccessBlock(
        `<PublicAccessBlockConfiguration xmlns="${NS}"><BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
      ),
    ).toEqual({
      blockPublicAcls: true,
      ignorePublicAcls: false,
      blockPublicPolicy: false,
      restrictPublicBuckets: false,
    });
    expect(
      parsePublicAccessBlock(
        "<PublicAccessBlockConfiguration><IgnorePublicAcls>1</IgnorePublicAcls><BlockPublicPolicy> true </BlockPublicPolicy></PublicAccessBlockConfiguration>",
      ),
    ).toMatchObject({
      ignorePublicAcls: true,
      blockPublicPolicy: true,
    });
  });

  it.each([
    ["an empty body", ""],
    ["another root", "<PublicAccessBlock><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlock>"],
    ["a value that is no boolean", "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>"],
    ["an unknown element", "<PublicAccessBlockConfiguration><BlockPublicAll>true</BlockPublicAll></PublicAccessBlockConfiguration>"],
    [
      "a repeated element",
      "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>",
    ],
  ])("MalformedXML for %s", (_, xml) => expect(code(() => parsePublicAccessBlock(xml))).toBe("MalformedXML"));

  it("renders the golden document and round-trips", () => {
    const pab = { blockPublicAcls: true, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false };
    const xml = publicAccessBlockDocument(pab);
    expect(xml).toBe(
      `${DECL}<PublicAccessBlockConfiguration xmlns="${NS}"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>` +
        "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
    );
    expect(parsePublicAccessBlock(xml)).toEqual(pab);
  });
});

describe("OwnershipControls", () => {
  it.each(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] as const)("round-trips %s", (value) => {
    const xml = ownershipControlsDocument(value);
    expect(xml).toBe(`${DECL}<OwnershipControls xmlns="${NS}"><Rule><ObjectOwnership>${value}</ObjectOwnership></Rule></OwnershipControls>`);
    expect(parseOwnershipControls(xml)).toBe(value);
  });

  it.each([
    ["an empty body", ""],
    ["no rule", "<OwnershipControls/>"],
    [
      "two rules",
      "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>",
    ],
    ["an unknown value", "<OwnershipControls><Rule><ObjectOwnership>BucketOwner</ObjectOwnership></Rule></OwnershipControls>"],
    ["an empty rule", "<OwnershipControls><Rule/></OwnershipControls>"],
    ["an unknown element", "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership><X/></Rule></OwnershipControls>"],
  ])("MalformedXML for %s", (_, xml) => expect(code(() => parseOwnershipControls(xml))).toBe("MalformedXML"));
});

describe("PolicyStatus", () => {
  it("writes IsPublic in lower case", () => {
    expect(policyStatusDocument(true)).toBe(`${DECL}<PolicyStatus xmlns="${NS}"><IsPublic>true</IsPublic></PolicyStatus>`);
    expect(policyStatusDocument(false)).toContain("<IsPublic>false</IsPublic>");
  });
});
