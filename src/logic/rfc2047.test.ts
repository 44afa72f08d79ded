import { describe, expect, it } from "vitest";
import { decodeMetadataValue, encodeMetadataValue } from "./rfc2047";

describe("RFC 2047 metadata values", () => {
  it("leaves printable US-ASCII as is and encodes anything else as one UTF-8 B word", () => {
    expect(encodeMetadataValue("plain value\twith tab")).toBe("plain value\twith tab");
    expect(encodeMetadataValue("Zürich")).toBe(`=?UTF-8?B?${Buffer.from("Zürich").toString("base64")}?=`);
    expect(encodeMetadataValue("日本")).toBe(`=?UTF-8?B?${Buffer.from("日本").toString("base64")}?=`);
    expect(encodeMetadataValue("bell\u0007")).toMatch(/^=\?UTF-8\?B\?/);
  });

  it("decodes values made only of B or Q words (UTF-8, US-ASCII, ISO-8859-1), dropping the whitespace between words", () => {
    expect(decodeMetadataValue(`=?UTF-8?B?${Buffer.from("日本語").toString("base64")}?=`)).toBe("日本語");
    expect(decodeMetadataValue("=?utf-8?q?caf=C3=A9_au_lait?=")).toBe("café au lait");
    expect(decodeMetadataValue("=?ISO-8859-1?Q?Z=FCrich?=")).toBe("Zürich");
    expect(decodeMetadataValue("=?UTF-8?B?YWI=?= =?UTF-8?B?Y2Q=?=")).toBe("abcd");
  });

  it("keeps anything else as received", () => {
    for (const raw of [
      "plain",
      "=?UTF-8?B?not base64!?=",
      "prefix =?UTF-8?B?YWI=?=",
      "=?UTF-8?B?YWI=?= trailing",
      "=?KOI8-R?B?YWI=?=",
      "=?UTF-8?Q?bad=ZZ?=",
      "=?UTF-8?B?/w==?=",
    ]) {
      expect(decodeMetadataValue(raw), raw).toBe(raw);
    }
  });

  it("round-trips: what it encodes it decodes", () => {
    for (const v of ["Zürich", "日本語 テキスト", "emoji 🎉"]) expect(decodeMetadataValue(encodeMetadataValue(v))).toBe(v);
  });
});
