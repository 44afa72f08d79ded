/**
 * Object Lock documents (request and response).
 *   Put/GetObjectLockConfiguration https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
 *   Put/GetObjectRetention         https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
 *   Put/GetObjectLegalHold         https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html
 * The shape is checked here (MalformedXML: unknown or repeated elements, values outside the
 * schema's enumerations, Days and Years together); value rules (positive periods, future dates)
 * come from logic/object-lock.ts and answer InvalidArgument.
 */
import { S3Error } from "../errors";
import {
  parseRetainUntilDate,
  parseRetentionMode,
  validateDefaultRetention,
  type DefaultRetention,
  type ObjectLockConfig,
  type Retention,
} from "../logic/object-lock";
import { parseXmlDocument, renderXml, xmlObject, xmlText, type XmlObject, type XmlValue } from "./xml";

/** Refuses elements outside `allowed` and repeated ones (MalformedXML). */
function onlyElements(el: XmlObject, allowed: readonly string[]): void {
  for (const [name, v] of Object.entries(el)) {
    if (name.startsWith("@_")) continue;
    if (!allowed.includes(name) || Array.isArray(v)) throw new S3Error("MalformedXML");
  }
}

function rootOf(xml: string, root: string, allowed: readonly string[]): XmlObject {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const el = xmlObject(parseXmlDocument(xml, root));
  onlyElements(el, allowed);
  return el;
}

function child(el: XmlObject, name: string, allowed: readonly string[]): XmlObject | undefined {
  const v = el[name] as XmlValue | undefined;
  if (v === undefined) return undefined;
  const c = xmlObject(v);
  onlyElements(c, allowed);
  return c;
}

function integer(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^-?\d{1,10}$/.test(s.trim())) throw new S3Error("MalformedXML");
  return Number(s.trim());
}

/**
 * PutObjectLockConfiguration body: ObjectLockEnabled must say Enabled; a Rule needs a
 * DefaultRetention with a Mode and exactly one of Days or Years. Returns the bucket config.
 */
export function parseObjectLockConfiguration(xml: string): ObjectLockConfig {
  const root = rootOf(xml, "ObjectLockConfiguration", ["ObjectLockEnabled", "Rule"]);
  if (xmlText(root.ObjectLockEnabled) !== "Enabled") throw new S3Error("MalformedXML");
  const rule = child(root, "Rule", ["DefaultRetention"]);
  if (!rule) return { defaultRetention: null };
  const d = child(rule, "DefaultRetention", ["Mode", "Days", "Years"]);
  if (!d) throw new S3Error("MalformedXML");
  const mode = parseRetentionMode(xmlText(d.Mode) ?? "");
  const days = integer(xmlText(d.Days));
  const years = integer(xmlText(d.Years));
  if (!mode || (days === undefined) === (years === undefined)) throw new S3Error("MalformedXML");
  const retention: DefaultRetention = days !== undefined ? { mode, days } : { mode, years: years! };
  return { defaultRetention: validateDefaultRetention(retention) };
}

export function objectLockConfigurationDocument(config: ObjectLockConfig): string {
  const d = config.defaultRetention;
  return renderXml("ObjectLockConfiguration", {
    ObjectLockEnabled: "Enabled",
    Rule: d ? { DefaultRetention: { Mode: d.mode, Days: d.days, Years: d.years } } : undefined,
  });
}

/**
 * PutObjectRetention body. Mode and RetainUntilDate come together; an empty <Retention/> removes
 * the retention (null), which only a GOVERNANCE bypass may do while it is in force.
 */
export function parseRetention(xml: string, now: number): Retention | null {
  const root = rootOf(xml, "Retention", ["Mode", "RetainUntilDate"]);
  const modeText = xmlText(root.Mode);
  const until = xmlText(root.RetainUntilDate);
  if (modeText === undefined && until === undefined) return null;
  const mode = parseRetentionMode(modeText ?? "");
  if (!mode || until === undefined) throw new S3Error("MalformedXML");
  return { mode, retainUntil: parseRetainUntilDate(until, now) };
}

export function retentionDocument(r: Retention): string {
  return renderXml("Retention", { Mode: r.mode, RetainUntilDate: new Date(r.retainUntil) });
}

/** PutObjectLegalHold body: <LegalHold><Status>ON|OFF</Status></LegalHold>. */
export function parseLegalHold(xml: string): boolean {
  const root = rootOf(xml, "LegalHold", ["Status"]);
  const status = xmlText(root.Status);
  if (status === "ON") return true;
  if (status === "OFF") return false;
  throw new S3Error("MalformedXML");
}

export function legalHoldDocument(on: boolean): string {
  return renderXml("LegalHold", { Status: on ? "ON" : "OFF" });
}
