import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import {
  legalHoldDocument,
  objectLockConfigurationDocument,
  parseLegalHold,
  parseObjectLockConfiguration,
  parseRetention,
  retentionDocument,
} from "./object-lock";

const NOW = Date.UTC(2026, 11, 1);
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return "no error";
}

const lockXml = (rule: string) => `<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;

describe("ObjectLockConfiguration", () => {
  it("parses a default retention in days or years, or none", () => {
    expect(parseObjectLockConfiguration(lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>7</Days></DefaultRetention></Rule>"))).toEqual({
      defaultRetention: { mode: "GOVERNANCE", days: 7 },
    });
    expect(parseObjectLockConfiguration(lockXml("<Rule><DefaultRetention><Years>2</Years><Mode>COMPLIANCE</Mode></DefaultRetention></Rule>"))).toEqual({
      defaultRetention: { mode: "COMPLIANCE", years: 2 },
    });
    expect(parseObjectLockConfiguration(lockXml(""))).toEqual({ defaultRetention: null });
  });

  it("answers MalformedXML for shapes outside the schema", () => {
    const bad = [
      "",
      "<ObjectLockConfiguration/>",
      "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>",
      lockXml("<Rule/>"),
      lockXml("<Rule><DefaultRetention><Days>1</Days></DefaultRetention></Rule>"),
      lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule>"),
      lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>"),
      lockXml("<Rule><DefaultRetention><Mode>WORM</Mode><Days>1</Days></DefaultRetention></Rule>"),
      lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>one</Days></DefaultRetention></Rule>"),
      lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Days>2</Days></DefaultRetention></Rule>"),
      lockXml("<Unknown/>"),
    ];
    for (const xml of bad)
      expect(
        code(() => parseObjectLockConfiguration(xml)),
        xml,
      ).toBe("MalformedXML");
  });

  it("answers InvalidArgument for a period that is not positive", () => {
    expect(code(() => parseObjectLockConfiguration(lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>")))).toBe(
      "InvalidArgument",
    );
    expect(
      code(() => parseObjectLockConfiguration(lockXml("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>-3</Years></DefaultRetention></Rule>"))),
    ).toBe("InvalidArgument");
  });

  it("renders what GetObjectLockConfiguration returns", () => {
    expect(objectLockConfigurationDocument({ defaultRetention: { mode: "COMPLIANCE", days: 30 } })).toBe(
      `${DECL}<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
    );
    expect(objectLockConfigurationDocument({ defaultRetention: null })).toBe(
      `${DECL}<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`,
    );
  });
});

describe("Retention", () => {
  it("parses mode and date; an empty document removes the retention", () => {
    expect(parseRetention(`<Retention ${NS}><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>`, NOW)).toEqual({
      mode: "GOVERNANCE",
      retainUntil: Date.UTC(2030, 0, 1),
    });
    expect(parseRetention("<Retention/>", NOW)).toBeNull();
  });

  it("half a retention or a bad mode is MalformedXML; a past date is InvalidArgument", () => {
    expect(code(() => parseRetention("<Retention><Mode>GOVERNANCE</Mode></Retention>", NOW))).toBe("MalformedXML");
    expect(code(() => parseRetention("<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>", NOW))).toBe("MalformedXML");
    expect(code(() => parseRetention("<Retention><Mode>X</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>", NOW))).toBe(
      "MalformedXML",
    );
    expect(code(() => parseRetention("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>", NOW))).toBe(
      "InvalidArgument",
    );
    expect(code(() => parseRetention("<Other/>", NOW))).toBe("MalformedXML");
  });

  it("renders GetObjectRetention", () => {
    expect(retentionDocument({ mode: "COMPLIANCE", retainUntil: Date.UTC(2030, 0, 1) })).toBe(
      `${DECL}<Retention ${NS}><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>`,
    );
  });
});

describe("LegalHold", () => {
  it("parses ON and OFF only", () => {
    expect(parseLegalHold(`<LegalHold ${NS}><Status>ON</Status></LegalHold>`)).toBe(true);
    expect(parseLegalHold("<LegalHold><Status>OFF</Status></LegalHold>")).toBe(false);
    for (const xml of ["<LegalHold/>", "<LegalHold><Status>on</Status></LegalHold>", "<LegalHold><Status>ON</Status><X/></LegalHold>", ""]) {
      expect(
        code(() => parseLegalHold(xml)),
        xml,
      ).toBe("MalformedXML");
    }
  });

  it("renders GetObjectLegalHold", () => {
    expect(legalHoldDocument(true)).toBe(`${DECL}<LegalHold ${NS}><Status>ON</Status></LegalHold>`);
  });
});
