import { describe, expect, it } from "vitest";
import {
  assertDeletable,
  assertRetentionChange,
  bypassRequested,
  defaultRetainUntil,
  deletable,
  isProtected,
  lockForNewVersion,
  lockResponseHeaders,
  NO_LOCK,
  parseLockHeaders,
  parseRetainUntilDate,
  requireIntegrityHeaderForRetention,
  validateDefaultRetention,
  type GovernanceBypass,
  type Retention,
  type VersionLock,
} from "./object-lock";
import { s3ErrorOf as s3Code } from "../../test/support/s3-error";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;
const NO_BYPASS: GovernanceBypass = { requested: false, allowed: false };
const BYPASS: GovernanceBypass = { requested: true, allowed: true };

const gov = (until: number): Retention => ({ mode: "GOVERNANCE", retainUntil: until });
const comp = (until: number): Retention => ({ mode: "COMPLIANCE", retainUntil: until });
const lock = (retention: Retention | null, legalHold: boolean | null = null): VersionLock => ({ retention, legalHold });

describe("default retention", () => {
  it("days add 24-hour days; years are calendar years in UTC (leap day kept)", () => {
    expect(defaultRetainUntil({ mode: "GOVERNANCE", days: 3 }, NOW)).toBe(NOW + 3 * DAY);
    expect(new Date(defaultRetainUntil({ mode: "COMPLIANCE", years: 1 }, Date.UTC(2027, 1, 28))).toISOString()).toBe("2028-02-28T00:00:00.000Z");
    expect(new Date(defaultRetainUntil({ mode: "COMPLIANCE", years: 4 }, Date.UTC(2028, 1, 29, 5))).toISOString()).toBe("2032-02-29T05:00:00.000Z");
  });

  it("periods must be positive integers within 100 years", () => {
    expect(s3Code(() => validateDefaultRetention({ mode: "GOVERNANCE", days: 0 }))).toMatch(
      /^InvalidArgument: Default retention period must be a positive integer/,
    );
    expect(s3Code(() => validateDefaultRetention({ mode: "GOVERNANCE", years: -1 }))).toMatch(/^InvalidArgument/);
    expect(s3Code(() => validateDefaultRetention({ mode: "GOVERNANCE", days: 1.5 }))).toMatch(/^InvalidArgument/);
    expect(s3Code(() => validateDefaultRetention({ mode: "GOVERNANCE", years: 101 }))).toMatch(/^InvalidArgument: Default retention period is too large/);
    expect(validateDefaultRetention({ mode: "COMPLIANCE", days: 36500 })).toEqual({ mode: "COMPLIANCE", days: 36500 });
  });
});

describe("lock headers on writes", () => {
  const h = (o: Record<string, string>) => new Headers(o);

  it("mode and date together give a retention; legal hold alone is fine", () => {
    expect(parseLockHeaders(h({ "x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00.000Z" }), NOW)).toEqual({
      retention: comp(Date.UTC(2030, 0, 1)),
    });
    expect(parseLockHeaders(h({ "x-amz-object-lock-legal-hold": "ON" }), NOW)).toEqual({ legalHold: true });
    expect(parseLockHeaders(h({ "x-amz-object-lock-legal-hold": "OFF" }), NOW)).toEqual({ legalHold: false });
    expect(parseLockHeaders(h({}), NOW)).toEqual({});
  });

  it("answers S3's errors for half a retention, bad modes, bad dates and bad holds", () => {
    expect(s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-mode": "GOVERNANCE" }), NOW))).toMatch(
      /^InvalidArgument: x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied/,
    );
    expect(s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z" }), NOW))).toMatch(/must both be supplied/);
    expect(
      s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-mode": "governance", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z" }), NOW)),
    ).toBe("InvalidArgument: Unknown wormMode directive.");
    expect(s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "tomorrow" }), NOW))).toMatch(
      /ISO 8601/,
    );
    expect(
      s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2020-01-01T00:00:00Z" }), NOW)),
    ).toBe("InvalidArgument: The retain until date must be in the future!");
    expect(s3Code(() => parseLockHeaders(h({ "x-amz-object-lock-legal-hold": "on" }), NOW))).toMatch(
      /^InvalidArgument: Legal Hold must be either of 'ON' or 'OFF'/,
    );
  });

  it("dates with offsets and without milliseconds are ISO 8601 too; the present is not the future", () => {
    expect(parseRetainUntilDate("2030-01-01T01:00:00+01:00", NOW)).toBe(Date.UTC(2030, 0, 1));
    expect(s3Code(() => parseRetainUntilDate(new Date(NOW).toISOString(), NOW))).toMatch(/must be in the future/);
    expect(s3Code(() => parseRetainUntilDate("2030-13-45T00:00:00Z", NOW))).toMatch(/ISO 8601/);
  });

  it("a new version takes the request's lock, else the bucket default; no lock without a lock bucket", () => {
    const bucket = { defaultRetention: { mode: "GOVERNANCE" as const, days: 2 } };
    expect(lockForNewVersion(bucket, {}, NOW)).toEqual(lock(gov(NOW + 2 * DAY)));
    expect(lockForNewVersion(bucket, { retention: comp(NOW + DAY), legalHold: true }, NOW)).toEqual(lock(comp(NOW + DAY), true));
    expect(lockForNewVersion(bucket, { legalHold: false }, NOW)).toEqual(lock(gov(NOW + 2 * DAY), false));
    expect(lockForNewVersion({ defaultRetention: null }, {}, NOW)).toEqual(NO_LOCK);
    expect(lockForNewVersion(null, {}, NOW)).toEqual(NO_LOCK);
    expect(s3Code(() => lockForNewVersion(null, { legalHold: true }, NOW))).toBe("InvalidRequest: Bucket is missing Object Lock Configuration");
  });

  it("a retained upload needs Content-MD5 or a checksum header", () => {
    const retained = lock(gov(NOW + DAY));
    expect(s3Code(() => requireIntegrityHeaderForRetention(retained, h({})))).toMatch(
      /^InvalidRequest: Content-MD5 OR x-amz-checksum- HTTP header is required/,
    );
    for (const name of ["content-md5", "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm", "x-amz-trailer"]) {
      expect(s3Code(() => requireIntegrityHeaderForRetention(retained, h({ [name]: "x" })))).toBe("no error");
    }
    expect(s3Code(() => requireIntegrityHeaderForRetention(lock(null, true), h({})))).toBe("no error");
  });
});

describe("deleting a version", () => {
  it("legal hold and COMPLIANCE protect against everyone", () => {
    expect(deletable(lock(null, true), NOW, BYPASS)).toBe(false);
    expect(deletable(lock(comp(NOW + 1)), NOW, BYPASS)).toBe(false);
    expect(s3Code(() => assertDeletable(lock(comp(NOW + 1)), NOW, BYPASS))).toBe("AccessDenied: Access Denied because object protected by object lock.");
  });

  it("GOVERNANCE yields only to a bypass that is both requested and allowed", () => {
    const g = lock(gov(NOW + DAY));
    expect(deletable(g, NOW, NO_BYPASS)).toBe(false);
    expect(deletable(g, NOW, { requested: true, allowed: false })).toBe(false);
    expect(deletable(g, NOW, { requested: false, allowed: true })).toBe(false);
    expect(deletable(g, NOW, BYPASS)).toBe(true);
    expect(deletable(lock(gov(NOW + DAY), true), NOW, BYPASS)).toBe(false);
  });

  it("an expired retention and a released hold protect nothing", () => {
    expect(deletable(lock(comp(NOW)), NOW, NO_BYPASS)).toBe(true);
    expect(deletable(lock(comp(NOW - DAY), false), NOW, NO_BYPASS)).toBe(true);
    expect(isProtected(lock(comp(NOW - DAY), false), NOW)).toBe(false);
    expect(isProtected(lock(comp(NOW + DAY)), NOW)).toBe(true);
    expect(isProtected(NO_LOCK, NOW)).toBe(false);
  });
});

describe("changing a retention", () => {
  it("COMPLIANCE can only be extended, by anyone, never shortened, downgraded or removed", () => {
    const c = comp(NOW + DAY);
    expect(s3Code(() => assertRetentionChange(c, comp(NOW + 2 * DAY), NOW, NO_BYPASS))).toBe("no error");
    expect(s3Code(() => assertRetentionChange(c, comp(NOW + DAY), NOW, NO_BYPASS))).toBe("no error");
    for (const next of [comp(NOW + DAY - 1), gov(NOW + 2 * DAY), null]) {
      expect(s3Code(() => assertRetentionChange(c, next, NOW, BYPASS))).toMatch(/^AccessDenied/);
    }
  });

  it("GOVERNANCE can be extended or made COMPLIANCE freely; weakening it needs the bypass", () => {
    const g = gov(NOW + DAY);
    expect(s3Code(() => assertRetentionChange(g, gov(NOW + 2 * DAY), NOW, NO_BYPASS))).toBe("no error");
    expect(s3Code(() => assertRetentionChange(g, comp(NOW + DAY), NOW, NO_BYPASS))).toBe("no error");
    for (const next of [gov(NOW + 1), comp(NOW + 1), null]) {
      expect(s3Code(() => assertRetentionChange(g, next, NOW, NO_BYPASS))).toMatch(/^AccessDenied/);
      expect(s3Code(() => assertRetentionChange(g, next, NOW, { requested: true, allowed: false }))).toMatch(/^AccessDenied/);
      expect(s3Code(() => assertRetentionChange(g, next, NOW, BYPASS))).toBe("no error");
    }
  });

  it("an expired or absent retention can be set to anything", () => {
    expect(s3Code(() => assertRetentionChange(comp(NOW - 1), gov(NOW + 1), NOW, NO_BYPASS))).toBe("no error");
    expect(s3Code(() => assertRetentionChange(null, gov(NOW + 1), NOW, NO_BYPASS))).toBe("no error");
    expect(s3Code(() => assertRetentionChange(comp(NOW - 1), null, NOW, NO_BYPASS))).toBe("no error");
  });
});

describe("headers", () => {
  it("x-amz-bypass-governance-retention is true only when it says true", () => {
    expect(bypassRequested(new Headers({ "x-amz-bypass-governance-retention": "True" }))).toBe(true);
    expect(bypassRequested(new Headers({ "x-amz-bypass-governance-retention": "false" }))).toBe(false);
    expect(bypassRequested(new Headers({ "x-amz-bypass-governance-retention": "1" }))).toBe(false);
    expect(bypassRequested(new Headers())).toBe(false);
  });

  it("GET/HEAD lock headers: mode and date with the retention, the hold once it was set", () => {
    expect(lockResponseHeaders(lock(comp(Date.UTC(2030, 0, 1)), false))).toEqual({
      "x-amz-object-lock-mode": "COMPLIANCE",
      "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00.000Z",
      "x-amz-object-lock-legal-hold": "OFF",
    });
    expect(lockResponseHeaders(lock(null, true))).toEqual({ "x-amz-object-lock-legal-hold": "ON" });
    expect(lockResponseHeaders(NO_LOCK)).toEqual({});
  });
});
