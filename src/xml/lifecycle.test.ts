import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { validateLifecycleRules } from "../logic/lifecycle";
import { lifecycleConfigurationDocument, parseLifecycleConfiguration } from "./lifecycle";

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const doc = (rules: string) => `<LifecycleConfiguration ${NS}>${rules}</LifecycleConfiguration>`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return "no error";
}

describe("parseLifecycleConfiguration", () => {
  it("parses every supported element, both filter forms and the And operator", () => {
    const rules = parseLifecycleConfiguration(
      doc(
        "<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration>" +
          "<NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>" +
          "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>" +
          "<Rule><Prefix>old/</Prefix><Status>Disabled</Status><Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration></Rule>" +
          "<Rule><Filter><And><Prefix>a/</Prefix><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag>" +
          "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>1000</ObjectSizeLessThan></And></Filter>" +
          "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>" +
          "<Rule><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>" +
          "<Rule><Filter><Tag><Key>tmp</Key><Value>yes</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>",
      ),
    );
    expect(rules).toEqual([
      {
        id: "logs",
        status: "Enabled",
        filter: { prefix: "logs/" },
        expiration: { days: 30 },
        noncurrentVersionExpiration: { noncurrentDays: 7, newerNoncurrentVersions: 2 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
      { status: "Disabled", prefix: "old/", expiration: { date: Date.UTC(2027, 0, 1) } },
      {
        status: "Enabled",
        expiration: { days: 1 },
        filter: {
          and: {
            prefix: "a/",
            tags: [
              { key: "k1", value: "v1" },
              { key: "k2", value: "" },
            ],
            objectSizeGreaterThan: 10,
            objectSizeLessThan: 1000,
          },
        },
      },
      { status: "Enabled", filter: {}, expiration: { expiredObjectDeleteMarker: true } },
      { status: "Enabled", filter: { tag: { key: "tmp", value: "yes" } }, expiration: { days: 2 } },
    ]);
  });

  it("answers MalformedXML for shapes outside the schema", () => {
    const r = (inner: string) => doc(`<Rule>${inner}</Rule>`);
    const exp = "<Expiration><Days>1</Days></Expiration>";
    const bad = [
      "",
      doc(""),
      "<Lifecycle/>",
      r(exp), // no Status
      r(`<Status>enabled</Status>${exp}`),
      r(`<Filter><Prefix>a</Prefix><ObjectSizeLessThan>5</ObjectSizeLessThan></Filter><Status>Enabled</Status>${exp}`),
      r(`<Filter><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></Filter><Status>Enabled</Status>${exp}`),
      r(`<Filter><Prefix>a</Prefix></Filter><Prefix>a</Prefix><Status>Enabled</Status>${exp}`),
      r("<Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration>"),
      r("<Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"),
      r("<Status>Enabled</Status><Expiration></Expiration>"),
      r("<Status>Enabled</Status><Expiration><Days>soon</Days></Expiration>"),
      r("<Status>Enabled</Status><Expiration><Date>next year</Date></Expiration>"),
      r("<Status>Enabled</Status><NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>"),
      r("<Status>Enabled</Status><AbortIncompleteMultipartUpload/>"),
      r(`<Status>Enabled</Status>${exp}${exp}`),
      r(`<Status>Enabled</Status>${exp}<Unknown/>`),
      r(`<Filter><Tag><Key>a</Key></Tag></Filter><Status>Enabled</Status>${exp}`),
    ];
    for (const xml of bad)
      expect(
        code(() => parseLifecycleConfiguration(xml)),
        xml,
      ).toBe("MalformedXML");
  });

  it("refuses transitions as not implemented (there is one storage class)", () => {
    const xml = doc("<Rule><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>");
    expect(code(() => parseLifecycleConfiguration(xml))).toBe("NotImplemented");
  });
});

describe("lifecycleConfigurationDocument", () => {
  it("renders what was put, in S3's element order, and parses back to the same rules", () => {
    const rules = validateLifecycleRules(
      parseLifecycleConfiguration(
        doc(
          "<Rule><Status>Enabled</Status><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter>" +
            "<ID>one</ID><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>" +
            "<Rule><ID>two</ID><Prefix></Prefix><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule>",
        ),
      ),
      () => "unused",
    );
    const xml = lifecycleConfigurationDocument(rules);
    expect(xml).toBe(
      `${DECL}<LifecycleConfiguration ${NS}>` +
        "<Rule><ID>one</ID><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>" +
        "<Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration></Rule>" +
        "<Rule><ID>two</ID><Prefix></Prefix><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration></Rule>" +
        "</LifecycleConfiguration>",
    );
    expect(parseLifecycleConfiguration(xml)).toEqual(rules);
  });

  it("renders an empty Filter as an empty element", () => {
    const xml = lifecycleConfigurationDocument([{ id: "x", status: "Enabled", filter: {}, expiration: { expiredObjectDeleteMarker: true } }]);
    expect(xml).toContain("<Filter></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>");
  });
});
