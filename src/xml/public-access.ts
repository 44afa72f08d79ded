/**
 * Block Public Access, Object Ownership and policy status documents.
 *   PutPublicAccessBlock        https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
 *   GetPublicAccessBlock        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html
 *   PutBucketOwnershipControls  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketOwnershipControls.html
 *   GetBucketOwnershipControls  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketOwnershipControls.html
 *   GetBucketPolicyStatus       https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
 */
import { S3Error } from "../errors";
import { isObjectOwnership, type ObjectOwnership } from "../logic/ownership";
import type { PublicAccessBlock } from "../policy/public";
import { parseXmlDocument, renderXml, xmlObject, xmlText, type XmlValue } from "./xml";

const PAB_ELEMENTS = [
  ["BlockPublicAcls", "blockPublicAcls"],
  ["IgnorePublicAcls", "ignorePublicAcls"],
  ["BlockPublicPolicy", "blockPublicPolicy"],
  ["RestrictPublicBuckets", "restrictPublicBuckets"],
] as const;

/** A non-repeated text child; a second occurrence is MalformedXML. */
function single(v: XmlValue | XmlValue[] | undefined): string | undefined {
  if (Array.isArray(v)) throw new S3Error("MalformedXML");
  return xmlText(v);
}

function onlyElements(el: Record<string, unknown>, allowed: readonly string[]): void {
  for (const name of Object.keys(el)) if (!name.startsWith("@_") && !allowed.includes(name)) throw new S3Error("MalformedXML");
}

/** PutPublicAccessBlock body: each setting optional (absent = false), `true` or `false` (xs:boolean). */
export function parsePublicAccessBlock(xml: string): PublicAccessBlock {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "PublicAccessBlockConfiguration"));
  onlyElements(
    root,
    PAB_ELEMENTS.map(([name]) => name),
  );
  const out: PublicAccessBlock = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
  for (const [name, field] of PAB_ELEMENTS) {
    const text = single(root[name])?.trim();
    if (text === undefined) continue;
    if (text === "true" || text === "1") out[field] = true;
    else if (text !== "false" && text !== "0") throw new S3Error("MalformedXML");
  }
  return out;
}

/** GetPublicAccessBlock: all four settings, in S3's order. */
export function publicAccessBlockDocument(pab: PublicAccessBlock): string {
  return renderXml("PublicAccessBlockConfiguration", Object.fromEntries(PAB_ELEMENTS.map(([name, field]) => [name, pab[field]])));
}

/** PutBucketOwnershipControls body: exactly one Rule with one ObjectOwnership value. */
export function parseOwnershipControls(xml: string): ObjectOwnership {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "OwnershipControls"));
  onlyElements(root, ["Rule"]);
  if (root.Rule === undefined || Array.isArray(root.Rule)) throw new S3Error("MalformedXML");
  const rule = xmlObject(root.Rule);
  onlyElements(rule, ["ObjectOwnership"]);
  const value = single(rule.ObjectOwnership);
  if (value === undefined || !isObjectOwnership(value)) throw new S3Error("MalformedXML");
  return value;
}

export function ownershipControlsDocument(ownership: ObjectOwnership): string {
  return renderXml("OwnershipControls", { Rule: { ObjectOwnership: ownership } });
}

/** GetBucketPolicyStatus. `IsPublic` in lower case: botocore reads "true" (AWS's sample shows TRUE, which it would read as false). */
export function policyStatusDocument(isPublic: boolean): string {
  return renderXml("PolicyStatus", { IsPublic: isPublic });
}
