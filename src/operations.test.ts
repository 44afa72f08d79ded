import { describe, expect, it } from "vitest";
import { scopeAllowsOperation as allowsWithSpec } from "./authz";
import type { KeyScope } from "./identity";
import { readOperations } from "./store/d1/columns";
import type { KeyOperations } from "./store/model";
import { isOperation, isReadOperation, OPERATION_NAMES, OPERATIONS, requirementFor, type Op } from "./operations";

const scopeAllowsOperation = (scope: KeyScope, op: Op) => allowsWithSpec(scope, op, OPERATIONS[op]);

const q = (s = "") => new URLSearchParams(s);

describe("requirementFor", () => {
  it.each([
    ["HeadBucket", { on: "bucket", permission: "READ" }],
    ["ListObjects", { on: "bucket", permission: "READ" }],
    ["ListObjectsV2", { on: "bucket", permission: "READ" }],
    ["ListObjectVersions", { on: "bucket", permission: "READ" }],
    ["ListMultipartUploads", { on: "bucket", permission: "READ" }],
    ["GetBucketAcl", { on: "bucket", permission: "READ_ACP" }],
    ["PutBucketAcl", { on: "bucket", permission: "WRITE_ACP" }],
    ["PutObject", { on: "bucket", permission: "WRITE" }],
    ["CopyObject", { on: "bucket", permission: "WRITE" }],
    ["DeleteObject", { on: "bucket", permission: "WRITE" }],
    ["CreateMultipartUpload", { on: "bucket", permission: "WRITE" }],
    ["UploadPart", { on: "bucket", permission: "WRITE" }],
    ["UploadPartCopy", { on: "bucket", permission: "WRITE" }],
    ["CompleteMultipartUpload", { on: "bucket", permission: "WRITE" }],
    ["GetObject", { on: "object", permission: "READ" }],
    ["HeadObject", { on: "object", permission: "READ" }],
    ["GetObjectAcl", { on: "object", permission: "READ_ACP" }],
    ["PutObjectAcl", { on: "object", permission: "WRITE_ACP" }],
    ["ListParts", { on: "upload" }],
    ["AbortMultipartUpload", { on: "upload" }],
    ["DeleteObjects", { on: "each-key" }],
    ["ListBuckets", { on: "handler" }],
    ["CreateBucket", { on: "handler" }],
    ["PostObject", { on: "handler" }],
    ["DeleteBucket", { on: "bucket-owner" }],
    ["GetBucketLocation", { on: "bucket-owner" }],
    ["PutBucketVersioning", { on: "bucket-owner" }],
    ["GetBucketTagging", { on: "bucket-owner" }],
    ["PutBucketCors", { on: "bucket-owner" }],
    ["GetObjectTagging", { on: "bucket-owner" }],
    ["PutObjectTagging", { on: "bucket-owner" }],
  ] as [Op, object][])("%s", (op, req) => {
    expect(requirementFor(op, q())).toEqual(req);
  });

  it("deleting a specific version is the bucket owner's", () => {
    expect(requirementFor("DeleteObject", q("versionId=abc"))).toEqual({ on: "bucket-owner" });
  });

  it("gives every operation one of the known requirements, and knows no made-up name", () => {
    for (const op of OPERATION_NAMES) {
      const r = requirementFor(op, q());
      expect(["handler", "bucket", "bucket-owner", "object", "upload", "each-key"]).toContain(r.on);
    }
    expect(isOperation("SomethingNew")).toBe(false);
    expect(isOperation("GetObject")).toBe(true);
  });
});

describe("key scopes", () => {
  const scope = (operations: KeyOperations): KeyScope => ({ bucket: null, operations });

  it("read-only allows exactly the reads, ListBuckets and HeadBucket included", () => {
    for (const op of <Op[]>[
      "ListBuckets",
      "HeadBucket",
      "HeadObject",
      "GetObject",
      "GetObjectAcl",
      "GetBucketAcl",
      "ListObjectsV2",
      "ListParts",
      "GetBucketLocation",
    ]) {
      expect(scopeAllowsOperation(scope("read-only"), op), op).toBe(true);
    }
    for (const op of <Op[]>["PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CreateBucket", "PutObjectAcl", "AbortMultipartUpload", "PostObject"]) {
      expect(scopeAllowsOperation(scope("read-only"), op), op).toBe(false);
    }
  });

  it("write-only allows writes but no reads and no ACL changes", () => {
    for (const op of <Op[]>[
      "PutObject",
      "DeleteObject",
      "DeleteObjects",
      "CreateMultipartUpload",
      "UploadPart",
      "CompleteMultipartUpload",
      "AbortMultipartUpload",
      "CreateBucket",
      "PostObject",
    ]) {
      expect(scopeAllowsOperation(scope("write-only"), op), op).toBe(true);
    }
    for (const op of <Op[]>[
      "GetObject",
      "HeadObject",
      "ListBuckets",
      "HeadBucket",
      "ListObjects",
      "ListParts",
      "PutObjectAcl",
      "PutBucketAcl",
      "GetBucketAcl",
    ]) {
      expect(scopeAllowsOperation(scope("write-only"), op), op).toBe(false);
    }
  });

  it("every router operation is either a read or a write", () => {
    for (const op of OPERATION_NAMES) {
      const r = scopeAllowsOperation(scope("read-only"), op);
      const w = scopeAllowsOperation(scope("write-only"), op);
      expect(r && w, op).toBe(false);
      expect(r, op).toBe(isReadOperation(op));
    }
  });

  it("an explicit list allows exactly its names; full allows all; a corrupt value nothing", () => {
    const s = scope(["GetObject", "PutObject"]);
    expect(scopeAllowsOperation(s, "GetObject")).toBe(true);
    expect(scopeAllowsOperation(s, "PutObject")).toBe(true);
    expect(scopeAllowsOperation(s, "HeadObject")).toBe(false);
    expect(scopeAllowsOperation(scope("full"), "DeleteBucket")).toBe(true);
    expect(scopeAllowsOperation(scope(readOperations("[oops")), "GetObject")).toBe(false);
  });
});
