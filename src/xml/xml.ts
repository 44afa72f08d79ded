/**
 * THE XML reader (fast-xml-parser) and writer. Every request and response document goes through
 * `parseXml` / `renderXml`; typed documents live in documents.ts.
 *
 * Follows the AWS S3 User Guide, "Naming Amazon S3 objects" > "XML related object key
 * constraints" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html):
 * `' " & < >` become entities and CR / LF become `&#13;` / `&#10;` so that end-of-line
 * normalisation cannot alter a key. We extend that to every C0 control character and to
 * U+FFFE/U+FFFF (numeric references; XML 1.0 parsers may still refuse them, which is why S3
 * offers `encoding-type=url`).
 *
 * Parsing is strict: anything not well-formed, a DOCTYPE (entity expansion), an unknown entity,
 * several root elements or text mixed with elements throws S3Error("MalformedXML"). Namespaces
 * and prefixes are stripped; values are never coerced ("0001" stays "0001"); whitespace inside
 * text is kept (keys may start or end with spaces).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { S3Error } from "../errors";

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Already-rendered elements (`xmlFragment`, or a document's own loop over its many entries): written
 * as they are, in place of the element named by their key.
 */
export class RawXml {
  constructor(readonly xml: string) {}
}

/** Attribute keys start with "@_"; "#text" is the text of an element that also has attributes. */
export type XmlInput = string | number | bigint | boolean | Date | null | undefined | RawXml | XmlInput[] | { [name: string]: XmlInput };

// C0 controls (tab, LF and CR included), the five XML specials, and the two non-characters.
const ESCAPE_RE = /[\u0000-\u001f&<>"'\ufffe\uffff]/g;
const NEEDS_ESCAPE = /[\u0000-\u001f&<>"'\ufffe\uffff]/;
const NAMED: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escape text or an attribute value the way S3 does (see the header comment). */
export function xmlEscape(s: string): string {
  // Most text has nothing to escape: testing first spares the replace (a listing escapes thousands).
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPE_RE, (c) => NAMED[c] ?? `&#${c.charCodeAt(0)};`) : s;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
/** The last millisecond of year 9999: beyond it (and before 1970) toISOString's own form is kept. */
const MAX_FOUR_DIGIT_YEAR_MS = 253402300799999;

/**
 * `Date.prototype.toISOString()` of a time in milliseconds (2009-10-12T17:50:30.000Z), computed:
 * V8's own costs ~1.4 µs a call in workerd, over 1 ms of CPU for a 1000-entry listing page.
 * Days to a civil date as in H. Hinnant's `civil_from_days`.
 */
export function isoTimestamp(ms: number): string {
  if (!(ms >= 0 && ms <= MAX_FOUR_DIGIT_YEAR_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86400000);
  let rest = ms - days * 86400000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const m = Math.floor(rest / 60000);
  rest -= m * 60000;
  const sec = Math.floor(rest / 1000);
  return `${String(year).padStart(4, "0")}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(m)}:${pad2(sec)}.${pad3(rest - sec * 1000)}Z`;
}

/** Text of a leaf value, escaped; undefined for a value that is omitted. */
type Leaf = Exclude<XmlInput, RawXml | XmlInput[] | { [name: string]: XmlInput }>;

function leafText(v: Leaf): string | undefined {
  switch (typeof v) {
    case "string":
      return xmlEscape(v);
    case "number":
    case "bigint":
    case "boolean":
      return String(v); // nothing to escape
    default:
      return v instanceof Date ? isoTimestamp(v.getTime()) : undefined; // undefined and null are omitted
  }
}

const isAttribute = (key: string) => key.charCodeAt(0) === 64 /* @ */ && key.charCodeAt(1) === 95; /* _ */

/**
 * Appends `<name>...</name>` for `v` to `out`: arrays repeat the element, objects hold attributes
 * ("@_name"), text ("#text", before any child) and child elements in insertion order, undefined and
 * null are omitted, an empty value is `<name></name>`. Written by hand (no builder tree), into one
 * growing string: a 1000-entry listing is rendered on every page, and this is a single pass over it.
 */
function write(out: { xml: string }, name: string, v: XmlInput): void {
  if (Array.isArray(v)) {
    for (const x of v) write(out, name, x);
    return;
  }
  if (v instanceof RawXml) {
    out.xml += v.xml;
    return;
  }
  if (v === null || typeof v !== "object" || v instanceof Date) {
    const text = leafText(v);
    if (text !== undefined) out.xml += `<${name}>${text}</${name}>`;
    return;
  }
  const keys = Object.keys(v);
  let open = `<${name}`;
  for (const key of keys) {
    if (!isAttribute(key)) continue;
    const value = leafText(v[key] as Leaf);
    if (value !== undefined) open += ` ${key.slice(2)}="${value}"`;
  }
  out.xml += `${open}>${leafText(v["#text"] as Leaf) ?? ""}`;
  for (const key of keys) if (!isAttribute(key) && key !== "#text") write(out, key, v[key]);
  out.xml += `</${name}>`;
}

/** `<name>...</name>` for `v` (as renderXml writes it), without the XML declaration. */
export function xmlFragment(name: string, v: XmlInput): string {
  const out = { xml: "" };
  write(out, name, v);
  return out.xml;
}

/**
 * `<?xml ...?>` + `<root xmlns="...">body</root>`. Arrays become repeated elements, undefined and
 * null are omitted, Dates render as ISO-8601 with milliseconds (2009-10-12T17:50:30.000Z).
 */
export function renderXml(root: string, body: Record<string, XmlInput>, opts: { xmlns?: boolean } = {}): string {
  const withNs = opts.xmlns === false || "@_xmlns" in body ? body : { "@_xmlns": S3_XMLNS, ...body };
  const out = { xml: XML_DECLARATION };
  write(out, root, withNs);
  return out.xml;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A parsed element: text, or an object of children (repeated children become arrays). */
export type XmlValue = string | XmlObject;
export interface XmlObject {
  [name: string]: XmlValue | XmlValue[];
}

const parser = new XMLParser({
  preserveOrder: true, // lets us concatenate text and CDATA exactly, and see mixed content
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false, // decoded by decodeEntities(): XML's five plus numeric references only
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: "#cdata",
  commentPropName: false,
  // Keep names such as "toString" verbatim: convertChildren builds objects with
  // Object.fromEntries, so they are plain own properties. (__proto__, constructor and
  // prototype are refused by the library itself, which surfaces here as MalformedXML.)
  onDangerousProperty: (name: string) => name,
});

const ENTITY_RE = /&([^;&]*);|&/g;
const NAMED_IN: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY_RE, (_whole, name: string | undefined) => {
    if (name === undefined) throw new S3Error("MalformedXML");
    if (name in NAMED_IN) return NAMED_IN[name]!;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (!m) throw new S3Error("MalformedXML");
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    // XML 1.0 forbids references to most controls, but S3 itself emits them (see xmlEscape),
    // so accept any Unicode scalar value except NUL.
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new S3Error("MalformedXML");
    return String.fromCodePoint(cp);
  });
}

/** XML 1.0 section 2.11: literal CRLF and CR read as LF (a CR must be sent as &#13;). */
function normalizeEol(s: string): string {
  return s.includes("\r") ? s.replace(/\r\n?/g, "\n") : s;
}

type Ordered = Record<string, unknown> & { ":@"?: Record<string, string> };

function elementName(node: Ordered): string | undefined {
  return Object.keys(node).find((k) => k !== ":@");
}

/** Convert one preserveOrder node list (the children of an element) into an XmlValue. */
function convertChildren(children: Ordered[], attrs: Record<string, string> | undefined): XmlValue {
  let text = "";
  const elems = new Map<string, XmlValue[]>();
  for (const child of children) {
    const name = elementName(child);
    if (name === undefined) continue;
    if (name === "#text") text += decodeEntities(normalizeEol(String(child[name])));
    else if (name === "#cdata") {
      for (const t of child[name] as Ordered[]) text += normalizeEol(String(t["#text"] ?? ""));
    } else {
      const v = convertChildren(child[name] as Ordered[], child[":@"]);
      const list = elems.get(name);
      if (list) list.push(v);
      else elems.set(name, [v]);
    }
  }
  const attributes = Object.entries(attrs ?? {}).filter(([k]) => k !== "@_xmlns");
  if (elems.size === 0 && attributes.length === 0) return text;
  if (elems.size > 0 && text.trim() !== "") throw new S3Error("MalformedXML"); // mixed content
  // Object.fromEntries defines own properties, so "__proto__"-like names cannot pollute.
  const entries: [string, XmlValue | XmlValue[]][] = attributes.map(([k, v]) => [k, decodeEntities(normalizeEol(v))]);
  if (elems.size === 0) entries.push(["#text", text]);
  for (const [k, list] of elems) entries.push([k, list.length === 1 ? list[0]! : list]);
  return Object.fromEntries(entries) as XmlObject;
}

/**
 * Parse a request body strictly. Returns `{ RootName: value }` with exactly one key.
 * Throws S3Error("MalformedXML") on anything that is not a single well-formed document.
 */
export function parseXml(text: string): XmlObject {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error("MalformedXML");
  if (XMLValidator.validate(text) !== true) throw new S3Error("MalformedXML");
  let ordered: Ordered[];
  try {
    ordered = parser.parse(text) as Ordered[];
  } catch (e) {
    if (e instanceof S3Error) throw e;
    throw new S3Error("MalformedXML");
  }
  const roots = ordered.filter((n) => {
    const name = elementName(n);
    if (name === "#text") {
      if (String(n[name]).trim() !== "") throw new S3Error("MalformedXML");
      return false;
    }
    return name !== undefined;
  });
  if (roots.length !== 1) throw new S3Error("MalformedXML");
  const root = roots[0]!;
  const name = elementName(root)!;
  if (name === "#cdata") throw new S3Error("MalformedXML");
  return Object.fromEntries([[name, convertChildren(root[name] as Ordered[], root[":@"])]]) as XmlObject;
}

/** Parse and require the given root element; returns the root's content. */
export function parseXmlDocument(text: string, root: string): XmlValue {
  const doc = parseXml(text);
  if (!(root in doc)) throw new S3Error("MalformedXML");
  return doc[root] as XmlValue;
}

// ---------------------------------------------------------------------------------------------
// Accessors for parsers in documents.ts: shape errors are MalformedXML, never TypeErrors.

/** Always an array: for elements that may repeat. */
export function asArray<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The element as an object of children ("" for an empty element counts as {}). */
export function xmlObject(v: XmlValue | XmlValue[] | undefined): XmlObject {
  if (v === undefined || v === "") return {};
  if (typeof v === "string" || Array.isArray(v)) throw new S3Error("MalformedXML");
  return v;
}

/** The text of an optional, non-repeated, text-only child. */
export function xmlText(v: XmlValue | XmlValue[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (!Array.isArray(v) && Object.keys(v).every((k) => k === "#text" || k.startsWith("@_"))) {
    return (v["#text"] as string | undefined) ?? "";
  }
  throw new S3Error("MalformedXML");
}
