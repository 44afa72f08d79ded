import { describe, expect, it } from "vitest";
import {
  afterDays,
  dueActions,
  expirationHeader,
  minAbortDays,
  ruleMatches,
  uploadAbortRule,
  validateLifecycleRules,
  type LifecycleRule,
  type ParsedLifecycleRule,
  type VersionState,
} from "./lifecycle";
import { NO_LOCK } from "./object-lock";
import { s3ErrorOf as s3Error } from "../../test/support/s3-error";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15, 10, 30); // 15 Jan 2026 10:30 UTC

let n = 0;
const newId = () => `generated-${++n}`;
const rule = (r: Partial<LifecycleRule>): LifecycleRule => ({ id: "r", status: "Enabled", ...r });
const version = (versionId: string, lastModified: number, o: Partial<VersionState> = {}): VersionState => ({
  versionId,
  lastModified,
  isDeleteMarker: false,
  size: 100,
  tags: [],
  lock: NO_LOCK,
  ...o,
});
const marker = (versionId: string, lastModified: number): VersionState => version(versionId, lastModified, { isDeleteMarker: true, size: 0 });

describe("validateLifecycleRules", () => {
  const ok: ParsedLifecycleRule = { status: "Enabled", expiration: { days: 1 } };

  it("names unnamed rules and keeps named ones", () => {
    const out = validateLifecycleRules([ok, { ...ok, id: "mine" }], newId);
    expect(out.map((r) => r.id)).toEqual([expect.stringMatching(/^generated-/), "mine"]);
  });

  it("answers S3's errors for bad values", () => {
    const cases: [ParsedLifecycleRule[], RegExp][] = [
      [[{ ...ok, id: "x".repeat(256) }], /^InvalidArgument: ID length should not exceed allowed limit of 255/],
      [
        [
          { ...ok, id: "a" },
          { ...ok, id: "a" },
        ],
        /^InvalidArgument: Rule ID must be unique/,
      ],
      [[{ status: "Enabled" }], /^InvalidRequest: At least one action needs to be specified in a rule/],
      [[{ status: "Enabled", expiration: { days: 0 } }], /^InvalidArgument: 'Days' for Expiration action must be a positive integer/],
      [[{ status: "Enabled", expiration: { date: Date.UTC(2027, 0, 1, 12) } }], /^InvalidArgument: 'Date' must be at midnight GMT/],
      [[{ status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: -1 } }], /^InvalidArgument: 'NoncurrentDays'/],
      [
        [{ status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 1, newerNoncurrentVersions: 101 } }],
        /^InvalidArgument: 'NewerNoncurrentVersions'/,
      ],
      [[{ status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 0 } }], /^InvalidArgument: 'DaysAfterInitiation'/],
      [
        [{ status: "Enabled", filter: { tag: { key: "k", value: "v" } }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } }],
        /^InvalidRequest: AbortIncompleteMultipartUpload cannot be specified with Tags/,
      ],
      [
        [{ status: "Enabled", filter: { tag: { key: "k", value: "v" } }, expiration: { expiredObjectDeleteMarker: true } }],
        /^InvalidRequest: ExpiredObjectDeleteMarker cannot be specified with Tags/,
      ],
      [
        [
          {
            ...ok,
            filter: {
              and: {
                tags: [
                  { key: "k", value: "1" },
                  { key: "k", value: "2" },
                ],
              },
            },
          },
        ],
        /^InvalidRequest: Duplicate Tag Keys/,
      ],
      [
        [{ ...ok, filter: { and: { tags: [], objectSizeGreaterThan: 10, objectSizeLessThan: 10 } } }],
        /^InvalidArgument: ObjectSizeGreaterThan must be less than ObjectSizeLessThan/,
      ],
      [[{ ...ok, filter: { objectSizeGreaterThan: -1 } }], /^InvalidArgument/],
      [Array.from({ length: 1001 }, () => ok), /^InvalidRequest: A lifecycle configuration can have at most 1000 rules/],
    ];
    for (const [rules, want] of cases)
      expect(
        s3Error(() => validateLifecycleRules(rules, newId)),
        JSON.stringify(rules).slice(0, 200),
      ).toMatch(want);
  });
});

describe("ruleMatches", () => {
  it("by prefix (rule-level or in the filter), tags (all of them), and size bounds (exclusive)", () => {
    const obj = {
      key: "logs/2026/a.gz",
      size: 500,
      tags: [
        { key: "env", value: "dev" },
        { key: "team", value: "x" },
      ],
    };
    expect(ruleMatches(rule({ prefix: "logs/" }), obj)).toBe(true);
    expect(ruleMatches(rule({ filter: { prefix: "tmp/" } }), obj)).toBe(false);
    expect(ruleMatches(rule({ filter: {} }), obj)).toBe(true);
    expect(ruleMatches(rule({ filter: { tag: { key: "env", value: "dev" } } }), obj)).toBe(true);
    expect(ruleMatches(rule({ filter: { tag: { key: "env", value: "prod" } } }), obj)).toBe(false);
    const and = (o: object) => rule({ filter: { and: { tags: [], ...o } } });
    expect(
      ruleMatches(
        and({
          prefix: "logs/",
          tags: [
            { key: "env", value: "dev" },
            { key: "team", value: "x" },
          ],
        }),
        obj,
      ),
    ).toBe(true);
    expect(
      ruleMatches(
        and({
          tags: [
            { key: "env", value: "dev" },
            { key: "team", value: "y" },
          ],
        }),
        obj,
      ),
    ).toBe(false);
    expect(ruleMatches(and({ objectSizeGreaterThan: 499, objectSizeLessThan: 501 }), obj)).toBe(true);
    expect(ruleMatches(rule({ filter: { objectSizeGreaterThan: 500 } }), obj)).toBe(false);
    expect(ruleMatches(rule({ filter: { objectSizeLessThan: 500 } }), obj)).toBe(false);
  });

  it("disabled rules match nothing; delete markers and uploads never match tag or size filters", () => {
    expect(ruleMatches(rule({ status: "Disabled" }), { key: "a", size: 1, tags: [] })).toBe(false);
    expect(ruleMatches(rule({ filter: { tag: { key: "k", value: "v" } } }), { key: "a" })).toBe(false);
    expect(ruleMatches(rule({ filter: { objectSizeLessThan: 10 } }), { key: "a" })).toBe(false);
    expect(ruleMatches(rule({ filter: { prefix: "a" } }), { key: "a" })).toBe(true);
  });
});

describe("timing", () => {
  it("rounds up to the next midnight UTC, as S3's example (15 Jan 10:30 + 3 days = 19 Jan 00:00)", () => {
    expect(new Date(afterDays(T0, 3)).toISOString()).toBe("2026-01-19T00:00:00.000Z");
    expect(afterDays(Date.UTC(2026, 0, 15), 1)).toBe(Date.UTC(2026, 0, 16));
  });
});

describe("dueActions", () => {
  const expire3 = rule({ id: "exp", expiration: { days: 3 } });

  it("expires the current version once its time has come, and only then", () => {
    const versions = [version("v1", T0)];
    expect(dueActions([expire3], "k", versions, null, Date.UTC(2026, 0, 19) - 1)).toEqual([]);
    expect(dueActions([expire3], "k", versions, null, Date.UTC(2026, 0, 19))).toEqual([{ kind: "expire-current", versionId: "v1", ruleId: "exp" }]);
  });

  it("a Date rule expires matching current versions whatever their age", () => {
    const byDate = rule({ id: "d", expiration: { date: Date.UTC(2026, 5, 1) } });
    expect(dueActions([byDate], "k", [version("v", Date.UTC(2026, 4, 31, 23))], "Enabled", Date.UTC(2026, 5, 1))).toEqual([
      { kind: "expire-current", versionId: "v", ruleId: "d" },
    ]);
    expect(dueActions([byDate], "k", [version("v", T0)], "Enabled", Date.UTC(2026, 4, 31))).toEqual([]);
  });

  it("is idempotent: the state after expiring (a delete marker on top) has nothing more due for that rule", () => {
    const now = T0 + 10 * DAY;
    const after = [marker("dm", now), version("v1", T0)];
    expect(dueActions([expire3], "k", after, "Enabled", now)).toEqual([]);
  });

  it("noncurrent versions expire NoncurrentDays after their successor was written, keeping NewerNoncurrentVersions", () => {
    const nve = rule({ id: "nc", noncurrentVersionExpiration: { noncurrentDays: 1, newerNoncurrentVersions: 1 } });
    // newest first: v4 current, v3 noncurrent since v4 (T0+3d), v2 since T0+2d, v1 since T0+1d
    const versions = [version("v4", T0 + 3 * DAY), version("v3", T0 + 2 * DAY), version("v2", T0 + DAY), version("v1", T0)];
    // v3 is kept (it is the one newer noncurrent version); v2 and v1 are due a day after becoming noncurrent, rounded up to midnight
    // (v2: noncurrent 17 Jan 10:30, due 19 Jan; v1: noncurrent 16 Jan 10:30, due 18 Jan)
    expect(dueActions([nve], "k", versions, "Enabled", Date.UTC(2026, 0, 19))).toEqual([
      { kind: "delete-noncurrent", versionId: "v2", ruleId: "nc" },
      { kind: "delete-noncurrent", versionId: "v1", ruleId: "nc" },
    ]);
    expect(dueActions([nve], "k", versions, "Enabled", Date.UTC(2026, 0, 18))).toEqual([{ kind: "delete-noncurrent", versionId: "v1", ruleId: "nc" }]);
    expect(dueActions([nve], "k", versions, "Enabled", Date.UTC(2026, 0, 18) - 1)).toEqual([]);
  });

  it("never removes a noncurrent version under retention or legal hold; expiring a locked current version only adds a marker", () => {
    const now = T0 + 30 * DAY;
    const nve = rule({ id: "nc", noncurrentVersionExpiration: { noncurrentDays: 1 } });
    const retained = { retention: { mode: "COMPLIANCE" as const, retainUntil: now + DAY }, legalHold: null };
    const held = { retention: null, legalHold: true };
    const expired = { retention: { mode: "GOVERNANCE" as const, retainUntil: now - 1 }, legalHold: false };
    const versions = [
      version("cur", T0 + 2 * DAY, { lock: retained }),
      version("a", T0 + DAY, { lock: retained }),
      version("b", T0, { lock: held }),
      version("c", T0 - DAY, { lock: expired }),
    ];
    expect(dueActions([nve, expire3], "k", versions, "Enabled", now)).toEqual([
      { kind: "expire-current", versionId: "cur", ruleId: "exp" },
      { kind: "delete-noncurrent", versionId: "c", ruleId: "nc" },
    ]);
    // unversioned/suspended-null current versions would be removed outright: never while protected
    expect(dueActions([expire3], "k", [version("null", T0, { lock: held })], "Suspended", now)).toEqual([]);
    expect(dueActions([expire3], "k", [version("null", T0, { lock: held })], null, now)).toEqual([]);
  });

  it("removes an expired object delete marker by ExpiredObjectDeleteMarker at once, or by a Days rule once old enough", () => {
    const eodm = rule({ id: "m", expiration: { expiredObjectDeleteMarker: true } });
    const lone = [marker("dm", T0)];
    expect(dueActions([eodm], "k", lone, "Enabled", T0 + 1)).toEqual([{ kind: "remove-expired-delete-marker", versionId: "dm", ruleId: "m" }]);
    expect(dueActions([expire3], "k", lone, "Enabled", T0 + DAY)).toEqual([]);
    expect(dueActions([expire3], "k", lone, "Enabled", Date.UTC(2026, 0, 19))).toEqual([
      { kind: "remove-expired-delete-marker", versionId: "dm", ruleId: "exp" },
    ]);
    // not while other versions remain
    expect(dueActions([eodm], "k", [marker("dm", T0), version("v", T0 - DAY)], "Enabled", T0 + 1)).toEqual([]);
  });

  it("respects filters: tags and size apply to versions, not delete markers", () => {
    const tagged = rule({ id: "t", filter: { tag: { key: "tmp", value: "1" } }, expiration: { days: 1 }, noncurrentVersionExpiration: { noncurrentDays: 1 } });
    const now = T0 + 10 * DAY;
    expect(dueActions([tagged], "k", [version("v", T0)], null, now)).toEqual([]);
    expect(dueActions([tagged], "k", [version("v", T0, { tags: [{ key: "tmp", value: "1" }] })], null, now)).toHaveLength(1);
    expect(dueActions([tagged], "k", [version("v2", T0 + DAY), marker("dm", T0)], "Enabled", now)).toEqual([]);
  });
});

describe("uploads and headers", () => {
  const abort = rule({ id: "ab", filter: { prefix: "big/" }, abortIncompleteMultipartUpload: { daysAfterInitiation: 2 } });

  it("aborts uploads DaysAfterInitiation after initiation, by prefix", () => {
    expect(uploadAbortRule([abort], "big/x", T0, Date.UTC(2026, 0, 18))?.id).toBe("ab");
    expect(uploadAbortRule([abort], "big/x", T0, Date.UTC(2026, 0, 18) - 1)).toBeNull();
    expect(uploadAbortRule([abort], "small/x", T0, T0 + 100 * DAY)).toBeNull();
    expect(minAbortDays([abort, rule({ abortIncompleteMultipartUpload: { daysAfterInitiation: 5 } })])).toBe(2);
    expect(minAbortDays([rule({ expiration: { days: 1 } })])).toBeNull();
  });

  it("x-amz-expiration names the earliest expiry and its URL-encoded rule id", () => {
    const rules = [rule({ id: "late rule", expiration: { days: 30 } }), rule({ id: "soon/rule", expiration: { days: 3 } })];
    expect(expirationHeader(rules, { key: "k", size: 1, tags: [], lastModified: T0 })).toBe(
      'expiry-date="Mon, 19 Jan 2026 00:00:00 GMT", rule-id="soon%2Frule"',
    );
    expect(expirationHeader([abort], { key: "big/k", size: 1, tags: [], lastModified: T0 })).toBeNull();
    expect(expirationHeader([rule({ status: "Disabled", expiration: { days: 1 } })], { key: "k", size: 1, tags: [], lastModified: T0 })).toBeNull();
  });
});
