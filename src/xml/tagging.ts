/**
 * The `<Tagging>` document of Put/GetObjectTagging and Put/GetBucketTagging (request and response).
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Tagging.html
 * Only the shape is checked here (MalformedXML); the tag rules live in logic/tags.ts.
 */
import { S3Error } from "../errors";
import type { TagSet } from "../logic/tags";
import { asArray, parseXmlDocument, renderXml, xmlObject, xmlText } from "./xml";

/** `<Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>`; TagSet, Key and Value are required. */
export function parseTagging(xml: string): TagSet {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "Tagging"));
  if (root.TagSet === undefined) throw new S3Error("MalformedXML");
  return asArray(xmlObject(root.TagSet).Tag).map((t) => {
    const tag = xmlObject(t);
    const key = xmlText(tag.Key);
    const value = xmlText(tag.Value);
    if (key === undefined || value === undefined) throw new S3Error("MalformedXML");
    return { key, value };
  });
}

export function taggingDocument(tags: TagSet): string {
  return renderXml("Tagging", { TagSet: { Tag: tags.map((t) => ({ Key: t.key, Value: t.value })) } });
}
