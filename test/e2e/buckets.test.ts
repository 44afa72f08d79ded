import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  GetBucketRequestPaymentCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startWorker();
});
afterAll(() => h?.dispose());

describe("buckets", () => {
  it("creates, lists, heads, locates and deletes a bucket", async () => {
    const s3 = h.client();
    await s3.send(new CreateBucketCommand({ Bucket: "alpha" }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain("alpha");
    expect(list.Owner?.DisplayName).toBe("root");
    const head = await s3.send(new HeadBucketCommand({ Bucket: "alpha" }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: "alpha" }));
    expect(loc.LocationConstraint).toBe("ch-gva-2");
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: "alpha" }))).Payer).toBe("BucketOwner");
    await s3.send(new DeleteBucketCommand({ Bucket: "alpha" }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: "alpha" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it("places a bucket in the zone its LocationConstraint names and rejects unknown zones", async () => {
    const s3 = h.client();
    await s3.send(new CreateBucketCommand({ Bucket: "in-fra", CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as never } }));
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: "in-fra" }))).LocationConstraint).toBe("de-fra-1");
    await expect(
      s3.send(new CreateBucketCommand({ Bucket: "nowhere", CreateBucketConfiguration: { LocationConstraint: "mars-1" as never } })),
    ).rejects.toMatchObject({ name: "InvalidLocationConstraint", $metadata: { httpStatusCode: 400 } });
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).not.toContain("nowhere");
  });

  it("answers S3 errors for bad names, duplicates and non-empty deletes", async () => {
    const s3 = h.client();
    const rules: [string, RegExp][] = [
      ["ab", /between 3 and 63 characters long \(this one has 2\)/],
      ["UpperCase", /only of lowercase letters, numbers, dots/],
      ["has_underscore", /only of lowercase letters, numbers, dots/],
      ["-dash", /begin and end with a letter or number/],
      ["192.168.1.1", /formatted as an IP address/],
      ["a..b", /two adjacent periods/],
      ["x".repeat(64), /this one has 64/],
      ["xn--punycode", /reserved prefix "xn--"/],
    ];
    for (const [bad, rule] of rules) {
      const e = await s3.send(new CreateBucketCommand({ Bucket: bad })).catch((err) => err);
      expect(e).toMatchObject({ name: "InvalidBucketName", $metadata: { httpStatusCode: 400 }, BucketName: bad });
      expect(e.message).toMatch(/^The specified bucket is not valid\. Bucket names /);
      expect(e.message).toMatch(rule);
    }
    await s3.send(new CreateBucketCommand({ Bucket: "dup" }));
    await expect(s3.send(new CreateBucketCommand({ Bucket: "dup" }))).rejects.toMatchObject({
      name: "BucketAlreadyOwnedByYou",
      $metadata: { httpStatusCode: 409 },
    });
    await s3.send(new PutObjectCommand({ Bucket: "dup", Key: "k", Body: "x" }));
    await expect(s3.send(new DeleteBucketCommand({ Bucket: "dup" }))).rejects.toMatchObject({ name: "BucketNotEmpty", $metadata: { httpStatusCode: 409 } });
    await expect(s3.send(new DeleteBucketCommand({ Bucket: "never-made" }))).rejects.toMatchObject({
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("enforces the per-user bucket quota (TooManyBuckets) and lets admins raise it", async () => {
    const user = (await h.admin("POST", "/_admin/users", { displayName: "quota-user", maxBuckets: 2 })).json;
    const key = (await h.admin("POST", "/_admin/keys", { userId: user.userId })).json;
    const s3 = h.client({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    await s3.send(new CreateBucketCommand({ Bucket: "quota-1" }));
    await s3.send(new CreateBucketCommand({ Bucket: "quota-2" }));
    await expect(s3.send(new CreateBucketCommand({ Bucket: "quota-3" }))).rejects.toMatchObject({
      name: "TooManyBuckets",
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining("your quota is 2 buckets"),
    });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["quota-1", "quota-2"]);
    expect((await h.admin("PATCH", `/_admin/users/${user.userId}`, { maxBuckets: 3 })).status).toBe(200);
    await s3.send(new CreateBucketCommand({ Bucket: "quota-3" }));
  });

  it("keeps users' buckets apart: a second user neither lists nor reads the root's bucket", async () => {
    const root = h.client();
    await root.send(new CreateBucketCommand({ Bucket: "root-private" }));
    const user = (await h.admin("POST", "/_admin/users", { displayName: "second" })).json;
    const key = (await h.admin("POST", "/_admin/keys", { userId: user.userId })).json;
    const s3 = h.client({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    await expect(s3.send(new PutObjectCommand({ Bucket: "root-private", Key: "x", Body: "x" }))).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(s3.send(new CreateBucketCommand({ Bucket: "root-private" }))).rejects.toMatchObject({
      name: "BucketAlreadyExists",
      $metadata: { httpStatusCode: 409 },
    });
  });
});
