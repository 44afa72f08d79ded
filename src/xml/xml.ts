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

/** Attribute keys start with "@_"; "#text" is the text of an element that also has attributes. */
export type XmlInput = string | number | bigint | boolean | Date | null | undefined | XmlInput[] | { [name: string]: XmlInput };

// C0 controls (tab, LF and CR included), the five XML specials, and the two non-characters.
const ESCAPE_RE = /[\u0000-\u001f&<>"'\ufffe\uffff]/g;
const NAMED: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Escape text or an attribute value the way S3 does (see the header comment). */
export function xmlEscape(s: string): string {
  return s.replace(ESCAPE_RE, (c) => NAMED[c] ?? `&#${c.charCodeAt(0)};`);
}

/** Text of a leaf value, escaped; undefined for a value that is omitted. */
type Leaf = Exclude<XmlInput, XmlInput[] | { [name: string]: XmlInput }>;

function leafText(v: Leaf): string | undefined {
  if (v === undefined || v === null) return undefined;
  return v instanceof Date ? v.toISOString() : xmlEscape(String(v));
}

/**
 * `<name>...</name>` for `v`: arrays repeat the element, objects hold attributes
 * ("@_name", first), text ("#text") and child elements in insertion order, undefined and null are
 * omitted, an empty value is `<name></name>`. Written by hand (no builder tree): a 1000-entry listing
 * is rendered on every page, and this is a single pass over its entries.
 */
function element(name: string, v: XmlInput): string {
  if (Array.isArray(v)) {
    let all = "";
    for (const x of v) all += element(name, x);
    return all;
  }
  if (v === null || typeof v !== "object" || v instanceof Date) {
    const text = leafText(v);
    return text === undefined ? "" : `<${name}>${text}</${name}>`;
  }
  let attributes = "";
  let text = "";
  let children = "";
  for (const key of Object.keys(v)) {
    const child = v[key];
    if (key.startsWith("@_")) {
      const value = leafText(child as Leaf);
      if (value !== undefined) attributes += ` ${key.slice(2)}="${value}"`;
    } else if (key === "#text") text += leafText(child as Leaf) ?? "";
    else children += element(key, child);
  }
  return `<${name}${attributes}>${text}${children}</${name}>`;
}

/**
 * `<?xml ...?>` + `<root xmlns="...">body</root>`. Arrays become repeated elements, undefined and
 * null are omitted, Dates render as ISO-8601 with milliseconds (2009-10-12T17:50:30.000Z).
 */
export function renderXml(root: string, body: Record<string, XmlInput>, opts: { xmlns?: boolean } = {}): string {
  const withNs = opts.xmlns === false || "@_xmlns" in body ? body : { "@_xmlns": S3_XMLNS, ...body };
  return XML_DECLARATION + element(root, withNs);
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
