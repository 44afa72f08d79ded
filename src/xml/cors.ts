/**
 * The `<CORSConfiguration>` document of Put/GetBucketCors (request and response).
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_CORSRule.html
 * Only the shape is checked here (MalformedXML); the rules themselves live in logic/cors.ts.
 */
import { S3Error } from "../errors";
import type { CorsRule } from "../logic/cors";
import { asArray, parseXmlDocument, renderXml, xmlObject, xmlText, type XmlValue } from "./xml";

const RULE_ELEMENTS = new Set(["ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"]);
const MAX_AGE_LIMIT = 2147483647;

const texts = (v: XmlValue | XmlValue[] | undefined): string[] => asArray(v).map((x) => xmlText(x)!);

/** At most one occurrence: a repeated ID or MaxAgeSeconds is MalformedXML. */
function single(v: XmlValue | XmlValue[] | undefined): string | undefined {
  if (Array.isArray(v)) throw new S3Error("MalformedXML");
  return xmlText(v);
}

function parseRule(value: XmlValue): CorsRule {
  const el = xmlObject(value);
  for (const name of Object.keys(el)) if (!name.startsWith("@_") && !RULE_ELEMENTS.has(name)) throw new S3Error("MalformedXML");
  const rule: CorsRule = {
    allowedOrigins: texts(el.AllowedOrigin),
    allowedMethods: texts(el.AllowedMethod),
    allowedHeaders: texts(el.AllowedHeader),
    exposeHeaders: texts(el.ExposeHeader),
  };
  const id = single(el.ID);
  if (id !== undefined) {
    if (id.length > 255) throw new S3Error("MalformedXML");
    rule.id = id;
  }
  const maxAge = single(el.MaxAgeSeconds);
  if (maxAge !== undefined) {
    if (!/^\d+$/.test(maxAge) || Number(maxAge) > MAX_AGE_LIMIT) throw new S3Error("MalformedXML");
    rule.maxAgeSeconds = Number(maxAge);
  }
  return rule;
}

/** `<CORSConfiguration><CORSRule>...</CORSRule>...</CORSConfiguration>`; unknown elements are MalformedXML. */
export function parseCorsConfiguration(xml: string): CorsRule[] {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = xmlObject(parseXmlDocument(xml, "CORSConfiguration"));
  for (const name of Object.keys(root)) if (!name.startsWith("@_") && name !== "CORSRule") throw new S3Error("MalformedXML");
  return asArray(root.CORSRule).map(parseRule);
}

/** GetBucketCors: elements of each rule in the order S3 writes them. */
export function corsConfigurationDocument(rules: CorsRule[]): string {
  return renderXml("CORSConfiguration", {
    CORSRule: rules.map((r) => ({
      ID: r.id,
      AllowedMethod: r.allowedMethods,
      AllowedOrigin: r.allowedOrigins,
      AllowedHeader: r.allowedHeaders,
      MaxAgeSeconds: r.maxAgeSeconds,
      ExposeHeader: r.exposeHeaders,
    })),
  });
}
