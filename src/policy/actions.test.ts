import { describe, expect, it } from "vitest";
import { OPERATIONS, type OperationSpec } from "../operations";
import { ACTIONS, actionsMatching, kindsOf } from "./actions";

describe("the action catalogue", () => {
  it("holds every IAM action of the operation table, on the kind of resource the operation names", () => {
    for (const [name, raw] of Object.entries(OPERATIONS)) {
      const spec = raw as OperationSpec;
      // DeleteObjects and browser POST uploads are sent to the bucket but act on the objects they name.
      const expected = name === "DeleteObjects" || name === "PostObject" ? "object" : spec.level;
      for (const action of [spec.iam, spec.onVersion?.iam].filter((a) => a !== undefined)) {
        expect(ACTIONS.get(action.toLowerCase()), `${name}: ${action}`).toBe(expected);
      }
    }
  });

  it.each<[string, string[]]>([
    ["s3:GetObject", ["object"]],
    ["s3:ListBucket", ["bucket"]],
    ["s3:Get*", ["bucket", "object", "service"]],
    ["s3:GetObject*", ["object"]],
    ["s3:*Object", ["object"]],
    ["*", ["bucket", "object", "service"]],
    ["s3:ListAllMyBuckets", ["service"]],
    ["s3:NoSuchAction", []],
  ])("kindsOf(%s)", (pattern, kinds) => expect([...kindsOf(pattern)].sort()).toEqual(kinds));

  it("matches patterns without regard to case", () => {
    expect(actionsMatching("S3:GETOBJECTV*").sort()).toEqual([
      "s3:getobjectversion",
      "s3:getobjectversionacl",
      "s3:getobjectversionattributes",
      "s3:getobjectversionforreplication",
      "s3:getobjectversiontagging",
      "s3:getobjectversiontorrent",
    ]);
  });
});
