/**
 * The `<LifecycleConfiguration>` document of Put/GetBucketLifecycleConfiguration.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html
 * The shape is checked here (MalformedXML: unknown or repeated elements, no rules, a Filter with
 * more than one predicate outside <And>, Filter and rule-level Prefix together, Days with Date or
 * ExpiredObjectDeleteMarker); value rules are logic/lifecycle.ts's validateLifecycleRules.
 * Transitions are refused (NotImplemented): every object here is in the one STANDARD class.
 */
import { S3Error } from "../errors";
import type { LifecycleFilter, LifecycleRule, ParsedLifecycleRule } from "../logic/lifecycle";
import type { Tag } from "../logic/tags";
import { asArray, parseXmlDocument, renderXml, xmlObject, xmlText, type XmlInput, type XmlObject, type XmlValue } from "./xml";

const RULE_ELEMENTS = [
  "ID",
  "Filter",
  "Prefix",
  "Status",
  "Expiration",
  "NoncurrentVersionExpiration",
  "AbortIncompleteMultipartUpload",
  "Transition",
  "NoncurrentVersionTransition",
];
const FILTER_ELEMENTS = ["Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"];
const REPEATABLE = new Set(["Rule", "Tag"]);

/** An element whose children must be among `allowed`, each once (Rule and Tag may repeat); MalformedXML otherwise. */
export function element(v: XmlValue | XmlValue[] | undefined, allowed: readonly string[]): XmlObject {
  const el = xmlObject(v as XmlValue | undefined);
  for (const [name, child] of Object.entries(el)) {
    if (name.startsWith("@_")) continue;
    if (!allowed.includes(name) || (Array.isArray(child) && !REPEATABLE.has(name))) throw new S3Error("MalformedXML");
  }
  return el;
}

const has = (el: XmlObject, name: string) => el[name] !== undefined;

function integer(v: XmlValue | XmlValue[] | undefined): number | undefined {
  const s = xmlText(v)?.trim();
  if (s === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(s)) throw new S3Error("MalformedXML");
  return Number(s);
}

function tag(v: XmlValue): Tag {
  const el = element(v, ["Key", "Value"]);
  const key = xmlText(el.Key);
  const value = xmlText(el.Value);
  if (key === undefined || value === undefined) throw new S3Error("MalformedXML");
  return { key, value };
}

/** A <Filter> (shared with replication rules, xml/replication.ts). */
export function parseFilter(v: XmlValue | XmlValue[]): LifecycleFilter {
  const el = element(v, FILTER_ELEMENTS);
  const present = FILTER_ELEMENTS.filter((n) => has(el, n));
  if (present.length > 1 || Array.isArray(el.Tag)) throw new S3Error("MalformedXML");
  const f: LifecycleFilter = {};
  if (has(el, "Prefix")) f.prefix = xmlText(el.Prefix);
  if (has(el, "Tag")) f.tag = tag(el.Tag as XmlValue);
  if (has(el, "ObjectSizeGreaterThan")) f.objectSizeGreaterThan = integer(el.ObjectSizeGreaterThan);
  if (has(el, "ObjectSizeLessThan")) f.objectSizeLessThan = integer(el.ObjectSizeLessThan);
  if (has(el, "And")) {
    const and = element(el.And, ["Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"]);
    f.and = { tags: asArray(and.Tag).map(tag) };
    if (has(and, "Prefix")) f.and.prefix = xmlText(and.Prefix);
    if (has(and, "ObjectSizeGreaterThan")) f.and.objectSizeGreaterThan = integer(and.ObjectSizeGreaterThan);
    if (has(and, "ObjectSizeLessThan")) f.and.objectSizeLessThan = integer(and.ObjectSizeLessThan);
  }
  return f;
}

/** Midnight-UTC ISO 8601 timestamps; a date that does not parse is MalformedXML. */
function timestamp(v: XmlValue | XmlValue[] | undefined): number | undefined {
  const s = xmlText(v)?.trim();
  if (s === undefined) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}))?$/.test(s) ? Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s) : NaN;
  if (Number.isNaN(t)) throw new S3Error("MalformedXML");
  return t;
}

function parseRule(v: XmlValue): ParsedLifecycleRule {
  const el = element(v, RULE_ELEMENTS);
  if (has(el, "Transition") || has(el, "NoncurrentVersionTransition")) {
    throw new S3Error("lifecycleTransitionsUnsupported");
  }
  const status = xmlText(el.Status);
  if (status !== "Enabled" && status !== "Disabled") throw new S3Error("MalformedXML");
  if (has(el, "Filter") && has(el, "Prefix")) throw new S3Error("MalformedXML");
  const rule: ParsedLifecycleRule = { status };
  const id = xmlText(el.ID);
  if (id !== undefined && id !== "") rule.id = id;
  if (has(el, "Prefix")) rule.prefix = xmlText(el.Prefix);
  if (has(el, "Filter")) rule.filter = parseFilter(el.Filter!);
  if (has(el, "Expiration")) {
    const e = element(el.Expiration, ["Days", "Date", "ExpiredObjectDeleteMarker"]);
    const days = integer(e.Days);
    const date = timestamp(e.Date);
    const marker = xmlText(e.ExpiredObjectDeleteMarker)?.trim();
    if (marker !== undefined && marker !== "true" && marker !== "false") throw new S3Error("MalformedXML");
    const given = [days, date, marker].filter((x) => x !== undefined).length;
    if (given !== 1) throw new S3Error("MalformedXML");
    rule.expiration = days !== undefined ? { days } : date !== undefined ? { date } : { expiredObjectDeleteMarker: marker === "true" };
  }
  if (has(el, "NoncurrentVersionExpiration")) {
    const n = element(el.NoncurrentVersionExpiration, ["NoncurrentDays", "NewerNoncurrentVersions"]);
    const noncurrentDays = integer(n.NoncurrentDays);
    if (noncurrentDays === undefined) throw new S3Error("MalformedXML");
    const newer = integer(n.NewerNoncurrentVersions);
    rule.noncurrentVersionExpiration = newer === undefined ? { noncurrentDays } : { noncurrentDays, newerNoncurrentVersions: newer };
  }
  if (has(el, "AbortIncompleteMultipartUpload")) {
    const a = element(el.AbortIncompleteMultipartUpload, ["DaysAfterInitiation"]);
    const daysAfterInitiation = integer(a.DaysAfterInitiation);
    if (daysAfterInitiation === undefined) throw new S3Error("MalformedXML");
    rule.abortIncompleteMultipartUpload = { daysAfterInitiation };
  }
  return rule;
}

/** PutBucketLifecycleConfiguration body: one or more <Rule> elements. */
export function parseLifecycleConfiguration(xml: string): ParsedLifecycleRule[] {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = element(parseXmlDocument(xml, "LifecycleConfiguration"), ["Rule"]);
  const rules = asArray(root.Rule).map(parseRule);
  if (rules.length === 0) throw new S3Error("MalformedXML");
  return rules;
}

const tagXml = (t: Tag) => ({ Key: t.key, Value: t.value });

export function filterXml(f: LifecycleFilter): Record<string, XmlInput> {
  if (f.and) {
    return {
      And: {
        Prefix: f.and.prefix,
        Tag: f.and.tags.map(tagXml),
        ObjectSizeGreaterThan: f.and.objectSizeGreaterThan,
        ObjectSizeLessThan: f.and.objectSizeLessThan,
      },
    };
  }
  return {
    Prefix: f.prefix,
    Tag: f.tag ? tagXml(f.tag) : undefined,
    ObjectSizeGreaterThan: f.objectSizeGreaterThan,
    ObjectSizeLessThan: f.objectSizeLessThan,
  };
}

/** GetBucketLifecycleConfiguration: the rules as stored, elements in the order S3 writes them. */
export function lifecycleConfigurationDocument(rules: LifecycleRule[]): string {
  return renderXml("LifecycleConfiguration", {
    Rule: rules.map((r) => ({
      ID: r.id,
      Filter: r.filter ? filterXml(r.filter) : undefined,
      Prefix: r.prefix,
      Status: r.status,
      Expiration: r.expiration
        ? {
            Date: r.expiration.date === undefined ? undefined : new Date(r.expiration.date),
            Days: r.expiration.days,
            ExpiredObjectDeleteMarker: r.expiration.expiredObjectDeleteMarker,
          }
        : undefined,
      NoncurrentVersionExpiration: r.noncurrentVersionExpiration
        ? { NoncurrentDays: r.noncurrentVersionExpiration.noncurrentDays, NewerNoncurrentVersions: r.noncurrentVersionExpiration.newerNoncurrentVersions }
        : undefined,
      AbortIncompleteMultipartUpload: r.abortIncompleteMultipartUpload
        ? { DaysAfterInitiation: r.abortIncompleteMultipartUpload.daysAfterInitiation }
        : undefined,
    })),
  });
}
