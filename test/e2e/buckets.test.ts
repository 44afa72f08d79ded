import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketRequestPaymentCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  type ListBucketsCommandOutput,
  PutBucketAclCommand,
  PutObjectCommand,
  paginateListBuckets,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
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
    // Signed for a zone (not us-east-1): S3's answer outside us-east-1.
    await expect(h.client(undefined, { region: "ch-gva-2" }).send(new CreateBucketCommand({ Bucket: "dup" }))).rejects.toMatchObject({
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

  it("answers a re-creation of an owned bucket signed for us-east-1 with 200 and resets its ACL, as S3 does in us-east-1", async () => {
    const s3 = h.client(); // signed for us-east-1
    await s3.send(new CreateBucketCommand({ Bucket: "recreated" }));
    await s3.send(new PutBucketAclCommand({ Bucket: "recreated", ACL: "public-read" }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: "recreated" }))).Grants).toHaveLength(2);
    const again = await s3.send(new CreateBucketCommand({ Bucket: "recreated" }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    expect((await s3.send(new GetBucketAclCommand({ Bucket: "recreated" }))).Grants).toEqual([
      expect.objectContaining({ Grantee: expect.objectContaining({ Type: "CanonicalUser" }), Permission: "FULL_CONTROL" }),
    ]);
    // Naming another zone than the bucket's is no re-creation: 409.
    await expect(
      s3.send(new CreateBucketCommand({ Bucket: "recreated", CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as never } })),
    ).rejects.toMatchObject({ name: "BucketAlreadyOwnedByYou", $metadata: { httpStatusCode: 409 } });
    // S3 refuses us-east-1 and the legacy EU as a LocationConstraint; neither is a zone here.
    for (const lc of ["us-east-1", "EU"]) {
      await expect(
        s3.send(new CreateBucketCommand({ Bucket: "lc-default", CreateBucketConfiguration: { LocationConstraint: lc as never } })),
        lc,
      ).rejects.toMatchObject({ name: "InvalidLocationConstraint", $metadata: { httpStatusCode: 400 } });
    }
  });

  it("pages ListBuckets with max-buckets and continuation-token, filters by prefix and bucket-region", async () => {
    const user = (await h.admin("POST", "/_admin/users", { displayName: "pager", maxBuckets: 10 })).json;
    const creds = (await h.admin("POST", "/_admin/keys", { userId: user.userId })).json;
    const s3 = h.client(creds);
    for (const b of ["pg-a1", "pg-a2", "pg-a3", "pg-b1"]) await s3.send(new CreateBucketCommand({ Bucket: b }));
    await s3.send(new CreateBucketCommand({ Bucket: "pg-a4", CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as never } }));

    const pages: ListBucketsCommandOutput[] = [];
    for await (const page of paginateListBuckets({ client: s3, pageSize: 2 }, {})) pages.push(page);
    expect(pages.map((p) => p.Buckets?.map((b) => b.Name))).toEqual([["pg-a1", "pg-a2"], ["pg-a3", "pg-a4"], ["pg-b1"]]);
    expect(pages.map((p) => p.ContinuationToken !== undefined)).toEqual([true, true, false]);
    expect(pages[1]!.Buckets?.map((b) => b.BucketRegion)).toEqual(["ch-gva-2", "de-fra-1"]);

    const prefixed = await s3.send(new ListBucketsCommand({ Prefix: "pg-a", MaxBuckets: 3 }));
    expect({ names: prefixed.Buckets?.map((b) => b.Name), prefix: prefixed.Prefix, more: !!prefixed.ContinuationToken }).toEqual({
      names: ["pg-a1", "pg-a2", "pg-a3"],
      prefix: "pg-a",
      more: true,
    });
    const rest = await s3.send(new ListBucketsCommand({ Prefix: "pg-a", MaxBuckets: 3, ContinuationToken: prefixed.ContinuationToken }));
    expect({ names: rest.Buckets?.map((b) => b.Name), more: !!rest.ContinuationToken }).toEqual({ names: ["pg-a4"], more: false });
    const fra = await s3.send(new ListBucketsCommand({ BucketRegion: "de-fra-1" }));
    expect(fra.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual([["pg-a4", "de-fra-1"]]);
    // Without parameters: every bucket, no token (as before).
    const all = await s3.send(new ListBucketsCommand({}));
    expect({ count: all.Buckets?.length, token: all.ContinuationToken }).toEqual({ count: 5, token: undefined });

    const signer = new AwsClient({ ...creds, service: "s3", region: "us-east-1", retries: 0 });
    for (const [query, message] of [
      ["max-buckets=abc", "Provided max-buckets not an integer or within integer range"],
      ["max-buckets=0", "Argument max-buckets must be an integer between 1 and 10000."],
      ["max-buckets=10001", "Argument max-buckets must be an integer between 1 and 10000."],
      ["continuation-token=not-ours", "The continuation token provided is incorrect"],
    ]) {
      const res = await signer.fetch(`${h.url}/?${query}`);
      const body = await res.text();
      expect({ status: res.status, code: /<Code>(.*?)<\/Code>/.exec(body)?.[1], message: /<Message>(.*?)<\/Message>/.exec(body)?.[1] }, query).toEqual({
        status: 400,
        code: "InvalidArgument",
        message,
      });
    }
  });

  it("names the bucket's region on a HeadBucket it refuses (403), as S3 does", async () => {
    await h.client().send(new CreateBucketCommand({ Bucket: "head-private", CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as never } }));
    const res = await fetch(`${h.url}/head-private`, { method: "HEAD" });
    expect({ status: res.status, region: res.headers.get("x-amz-bucket-region") }).toEqual({ status: 403, region: "de-fra-1" });
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
