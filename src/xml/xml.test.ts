import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { asArray, isoTimestamp, parseXml, parseXmlDocument, RawXml, renderXml, xmlEscape, xmlFragment, xmlObject, xmlText } from "./xml";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

function malformed(text: string) {
  try {
    parseXml(text);
  } catch (e) {
    expect(e).toBeInstanceOf(S3Error);
    expect((e as S3Error).code).toBe("MalformedXML");
    return;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

describe("renderXml", () => {
  test("declaration, namespace, repeated elements, omitted undefined, typed scalars", () => {
    expect(
      renderXml("R", {
        A: ["1", "2"],
        Empty: "",
        Nested: { Inner: 0 },
        Gone: undefined,
        Null: null,
        When: new Date(Date.UTC(2009, 9, 12, 17, 50, 30)),
        Flag: false,
        Big: 5368709120n,
      }),
    ).toBe(
      `${DECL}<R ${NS}><A>1</A><A>2</A><Empty></Empty><Nested><Inner>0</Inner></Nested>` +
        `<When>2009-10-12T17:50:30.000Z</When><Flag>false</Flag><Big>5368709120</Big></R>`,
    );
  });

  test("xmlns can be turned off or replaced", () => {
    expect(renderXml("Error", { Code: "X" }, { xmlns: false })).toBe(`${DECL}<Error><Code>X</Code></Error>`);
    expect(renderXml("R", { "@_xmlns": "urn:x", A: "1" })).toBe(`${DECL}<R xmlns="urn:x"><A>1</A></R>`);
  });

  test("text content and attributes", () => {
    expect(renderXml("LocationConstraint", { "#text": "ch-gva-2" })).toBe(`${DECL}<LocationConstraint ${NS}>ch-gva-2</LocationConstraint>`);
    expect(renderXml("R", { G: { "@_type": 'a"b', "#text": "x" } }, { xmlns: false })).toBe(`${DECL}<R><G type="a&quot;b">x</G></R>`);
  });

  test("an empty list renders nothing, an empty wrapper renders empty", () => {
    expect(renderXml("R", { Buckets: { Bucket: [] } }, { xmlns: false })).toBe(`${DECL}<R><Buckets></Buckets></R>`);
  });

  test("escaping of specials and control characters", () => {
    expect(xmlEscape(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f");
    expect(xmlEscape("\r\n\t\u0001\u001f\u007f")).toBe("&#13;&#10;&#9;&#1;&#31;\u007f");
    expect(xmlEscape("\uffff\ufffe\ufffd😀é")).toBe("&#65535;&#65534;\ufffd😀é");
    expect(renderXml("R", { Key: "<&>\r" }, { xmlns: false })).toBe(`${DECL}<R><Key>&lt;&amp;&gt;&#13;</Key></R>`);
  });

  test("render then parse round-trips awkward keys", () => {
    const keys = [" lead and trail ", "a\r\nb\rc\n", "\u0001\u0002\t", "&amp;", "<![CDATA[x]]>", "😀/é/\uffff", "0001"];
    for (const key of keys) {
      const doc = parseXml(renderXml("R", { Key: key }));
      expect(doc).toEqual({ R: { Key: key } });
    }
  });
});

describe("isoTimestamp", () => {
  test("writes what Date.prototype.toISOString writes, leap days and year ends included", () => {
    const edges = [0, 1, 999, 951782400000, 951868799999, 1709251199999, 1709251200000, 4107542399999, 253402300799999, 1255369830000];
    for (const ms of edges) expect(isoTimestamp(ms), String(ms)).toBe(new Date(ms).toISOString());
    let seed = 12345;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const ms = Math.floor((seed / 2 ** 31) * 253402300799999);
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });

  test("outside years 1970-9999 it is toISOString itself; an invalid time throws as it does", () => {
    for (const ms of [-1, -62198755200000, 253402300800000, 8.64e15, 1.5]) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTimestamp(Number.NaN)).toThrow(RangeError);
  });
});

describe("xmlFragment and RawXml", () => {
  test("a fragment is the element renderXml would write, without declaration or namespace", () => {
    expect(xmlFragment("Owner", { ID: "a&b", DisplayName: "" })).toBe("<Owner><ID>a&amp;b</ID><DisplayName></DisplayName></Owner>");
    expect(xmlFragment("X", ["1", "2"])).toBe("<X>1</X><X>2</X>");
  });

  test("raw XML is written as it is, in place of its element", () => {
    expect(renderXml("R", { A: 1, B: new RawXml("<C>&amp;</C><C/>"), D: true }, { xmlns: false })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R><A>1</A><C>&amp;</C><C/><D>true</D></R>',
    );
  });
});

describe("parseXml", () => {
  test("strips namespaces and prefixes, keeps strings, arrays for repeats", () => {
    const doc = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>
       <s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">
         <s3:Quiet>true</s3:Quiet>
         <s3:Object><s3:Key>0001</s3:Key><s3:VersionId>1e5</s3:VersionId></s3:Object>
         <s3:Object><s3:Key> spaced </s3:Key></s3:Object>
       </s3:Delete>`,
    );
    expect(doc).toEqual({
      Delete: {
        Quiet: "true",
        Object: [{ Key: "0001", VersionId: "1e5" }, { Key: " spaced " }],
      },
    });
  });

  test("entities, numeric references, CDATA and end-of-line normalisation", () => {
    expect(parseXml("<K>a&amp;b&lt;&gt;&quot;&apos;&#13;&#x1F600;&#10;</K>")).toEqual({ K: "a&b<>\"'\r😀\n" });
    expect(parseXml("<K><![CDATA[&amp;<x>]]>z&amp;</K>")).toEqual({ K: "&amp;<x>z&" });
    expect(parseXml("<K>a\r\nb\rc</K>")).toEqual({ K: "a\nb\nc" });
  });

  test("empty elements are empty strings", () => {
    expect(parseXml("<R><A/><B></B></R>")).toEqual({ R: { A: "", B: "" } });
    expect(parseXml("<R/>")).toEqual({ R: "" });
  });

  test("attributes other than xmlns are kept with @_ (xsi:type -> @_type)", () => {
    const doc = parseXml(`<Grant xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Grantee xsi:type="CanonicalUser"><ID>abc</ID></Grantee></Grant>`);
    expect(doc).toEqual({ Grant: { Grantee: { "@_type": "CanonicalUser", ID: "abc" } } });
  });

  test("rejects what S3 rejects as MalformedXML", () => {
    for (const bad of [
      "",
      "   ",
      "not xml",
      "<a><b></a>",
      "<a>x</a><b>y</b>",
      "<a>x & y</a>",
      "<a>&foo;</a>",
      "<a>&#0;</a>",
      "<a>&#xD800;</a>",
      "<a>&#x110000;</a>",
      "<a>text<b/>more</a>",
      "text<a/>",
      '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>',
      "<a><__proto__>x</__proto__></a>",
      "<a><constructor>x</constructor></a>",
    ]) {
      malformed(bad);
    }
  });

  test("does not pollute prototypes", () => {
    const doc = parseXml("<a><toString>x</toString><hasOwnProperty>y</hasOwnProperty></a>");
    expect(doc).toEqual({ a: { toString: "x", hasOwnProperty: "y" } });
    expect(Object.prototype.toString).toBeTypeOf("function");
  });
});

describe("accessors", () => {
  test("parseXmlDocument checks the root", () => {
    expect(parseXmlDocument("<A><B>1</B></A>", "A")).toEqual({ B: "1" });
    expect(() => parseXmlDocument("<A/>", "B")).toThrow(S3Error);
  });

  test("asArray / xmlObject / xmlText", () => {
    expect(asArray(undefined)).toEqual([]);
    expect(asArray("a")).toEqual(["a"]);
    expect(asArray(["a", "b"])).toEqual(["a", "b"]);
    expect(xmlObject("")).toEqual({});
    expect(xmlObject(undefined)).toEqual({});
    expect(() => xmlObject("text")).toThrow(S3Error);
    expect(xmlText("x")).toBe("x");
    expect(xmlText(undefined)).toBeUndefined();
    expect(xmlText({ "@_a": "1", "#text": "x" })).toBe("x");
    expect(() => xmlText({ B: "1" })).toThrow(S3Error);
    expect(() => xmlText(["a", "b"])).toThrow(S3Error);
  });
});
