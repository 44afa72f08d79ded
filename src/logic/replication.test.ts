import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { type ParsedReplicationRule, type ReplicationConfig, replicationTargets, validateReplicationRules } from "./replication";

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return `${e.code} ${e.reason}`;
    throw e;
  }
  return "no error";
}

const v2 = (over: Partial<ParsedReplicationRule> = {}): ParsedReplicationRule => ({
  status: "Enabled",
  filter: { prefix: "" },
  destination: "dest",
  deleteMarkerReplication: "Disabled",
  priority: 1,
  ...over,
});

describe("validateReplicationRules", () => {
  it("names unnamed rules and gives V2 rules a priority", () => {
    let n = 0;
    const rules = validateReplicationRules([v2({ priority: undefined })], () => `id${++n}`);
    expect(rules).toEqual([{ ...v2(), id: "id1", priority: 0 }]);
  });

  it("refuses what S3 refuses", () => {
    const check = (rules: ParsedReplicationRule[]) => reason(() => validateReplicationRules(rules, () => "generated"));
    expect(check([v2({ id: "a" }), v2({ id: "a", priority: 2 })])).toBe("InvalidArgument replicationRuleIdDuplicate");
    expect(check([v2({ id: "a" }), v2({ id: "b" })])).toBe("InvalidArgument replicationPriorityDuplicate");
    expect(check([v2({ id: "x".repeat(256) })])).toBe("InvalidArgument replicationRuleIdTooLong");
    expect(check([v2({ deleteMarkerReplication: undefined })])).toBe("InvalidRequest replicationDeleteMarkerReplicationMissing");
    expect(check([v2({ filter: { tag: { key: "k", value: "v" } }, deleteMarkerReplication: "Enabled" })])).toBe(
      "InvalidRequest replicationDeleteMarkersWithTags",
    );
    expect(check([v2({ id: "a" }), { id: "b", status: "Enabled", prefix: "p", destination: "d" }])).toBe("InvalidRequest replicationSchemaMixed");
    expect(check([{ status: "Enabled", prefix: "p", destination: "d", priority: 1 }])).toBe("InvalidRequest replicationV1WithV2Elements");
    expect(check([v2({ storageClass: "GLACIER" })])).toBe("InvalidStorageClass InvalidStorageClass");
    expect(check([v2({ priority: -1 })])).toBe("InvalidArgument replicationPriorityInvalid");
  });
});

describe("replicationTargets", () => {
  const config = (rules: ParsedReplicationRule[]): ReplicationConfig => ({ role: "", rules: validateReplicationRules(rules, () => "gen") });
  const put = (key: string, tags: { key: string; value: string }[] = []) => ({ key, tags, isDeleteMarker: false });
  const marker = (key: string) => ({ key, tags: [], isDeleteMarker: true });

  it("sends a version to every destination whose rule matches, the highest priority winning per destination", () => {
    const c = config([
      v2({ id: "all-to-a", priority: 1, destination: "a" }),
      v2({ id: "logs-to-a", priority: 5, filter: { prefix: "logs/" }, destination: "a", deleteMarkerReplication: "Enabled" }),
      v2({ id: "tagged-to-b", priority: 3, filter: { and: { prefix: "logs/", tags: [{ key: "copy", value: "yes" }] } }, destination: "b" }),
      v2({ id: "off", priority: 9, destination: "c", status: "Disabled" }),
    ]);
    expect(replicationTargets(c, put("x"))).toEqual([{ destination: "a", ruleId: "all-to-a" }]);
    expect(replicationTargets(c, put("logs/1", [{ key: "copy", value: "yes" }]))).toEqual([
      { destination: "a", ruleId: "logs-to-a" },
      { destination: "b", ruleId: "tagged-to-b" },
    ]);
    expect(replicationTargets(c, put("logs/1", [{ key: "copy", value: "no" }]))).toEqual([{ destination: "a", ruleId: "logs-to-a" }]);
    expect(replicationTargets(null, put("x"))).toEqual([]);
  });

  it("sends delete markers only where DeleteMarkerReplication is Enabled (V2) or by any matching V1 rule", () => {
    const c = config([
      v2({ id: "keep", priority: 1, destination: "a" }),
      v2({ id: "markers", priority: 2, filter: { prefix: "m/" }, destination: "b", deleteMarkerReplication: "Enabled" }),
    ]);
    expect(replicationTargets(c, marker("x"))).toEqual([]);
    expect(replicationTargets(c, marker("m/x"))).toEqual([{ destination: "b", ruleId: "markers" }]);
    const v1 = config([{ id: "old", status: "Enabled", prefix: "p/", destination: "a" }]);
    expect(replicationTargets(v1, marker("p/x"))).toEqual([{ destination: "a", ruleId: "old" }]);
    expect(replicationTargets(v1, marker("q/x"))).toEqual([]);
  });
});
