/**
 * Zone endpoints (docs/zones.md): one local Worker, two host names for it, one per zone
 * (ch-gva-2 = 127.0.0.1, de-fra-1 = localhost: no DNS needed), plus a third name that is neither,
 * the generic endpoint. Real clients (the JS SDK with followRegionRedirects, boto3, the AWS CLI)
 * are pointed at the wrong zone's endpoint and must still reach the bucket.
 */
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3 as PortalS3 } from "../../portal/src/lib/s3";
import { runClient } from "../clients/local-server";
import { closeRawAgent, codeOf, sendRaw } from "../support/raw-signer";
import { ROOT, startWorker, type Harness } from "./harness";

const GVA = "ch-gva-2";
const FRA = "de-fra-1";
const GENERIC_HOST = "s3.generic.test";
const PYTHON = "/usr/bin/python3";
const AWS = "/usr/bin/aws";

let h: Harness;
let port = "";
let gvaUrl = "";
let fraUrl = "";
const clients: S3Client[] = [];

function sdk(endpoint: string, region: string, followRegionRedirects = false): S3Client {
  const c = new S3Client({ endpoint, region, forcePathStyle: true, credentials: ROOT, maxAttempts: 1, followRegionRedirects });
  clients.push(c);
  return c;
}

/** A request signed for `region` (header, or presigned with `presign`) to `url`, sent to the local Worker with `url`'s Host. */
async function signed(region: string, url: string, init: { method?: string; body?: string; presign?: boolean } = {}) {
  const signer = new AwsClient({ ...ROOT, service: "s3", region, retries: 0 });
  const s = await signer.sign(url, { method: init.method ?? "GET", body: init.body, aws: { signQuery: init.presign } });
  const u = new URL(s.url);
  return sendRaw({
    method: s.method,
    origin: `http://127.0.0.1:${port}`,
    path: u.pathname + u.search,
    query: [],
    headers: { ...Object.fromEntries(s.headers), host: u.host },
    body: Buffer.from(init.body ?? ""),
  });
}

const element = (body: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];

beforeAll(async () => {
  h = await startWorker({ SOS_ZONE_ENDPOINTS: `${GVA}=127.0.0.1, ${FRA}=localhost` });
  port = new URL(h.url).port;
  gvaUrl = h.url;
  fraUrl = `http://localhost:${port}`;
  // No LocationConstraint: each endpoint creates in its own zone.
  await sdk(gvaUrl, GVA).send(new CreateBucketCommand({ Bucket: "zone-gva" }));
  await sdk(fraUrl, FRA).send(new CreateBucketCommand({ Bucket: "zone-fra" }));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  closeRawAgent();
  await h?.dispose();
});

describe("zone endpoints", () => {
  it("create buckets in their own zone by default and refuse a LocationConstraint of another zone", async () => {
    expect((await sdk(gvaUrl, GVA).send(new GetBucketLocationCommand({ Bucket: "zone-gva" }))).LocationConstraint).toBe(GVA);
    expect((await sdk(fraUrl, FRA).send(new GetBucketLocationCommand({ Bucket: "zone-fra" }))).LocationConstraint).toBe(FRA);
    const e = await sdk(gvaUrl, GVA)
      .send(new CreateBucketCommand({ Bucket: "zone-elsewhere", CreateBucketConfiguration: { LocationConstraint: FRA as BucketLocationConstraint } }))
      .catch((err) => err);
    expect(e).toMatchObject({ name: "IllegalLocationConstraintException", $metadata: { httpStatusCode: 400 } });
    expect(e.message).toBe(`The ${FRA} location constraint is incompatible for the region specific endpoint this request was sent to.`);
    // The zone's own LocationConstraint is accepted; the refused bucket does not exist.
    await sdk(fraUrl, FRA).send(
      new CreateBucketCommand({ Bucket: "zone-fra-2", CreateBucketConfiguration: { LocationConstraint: FRA as BucketLocationConstraint } }),
    );
    await expect(sdk(fraUrl, FRA).send(new HeadBucketCommand({ Bucket: "zone-elsewhere" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it("answer a request for another zone's bucket with 301 PermanentRedirect naming that zone's endpoint", async () => {
    const get = await signed(GVA, `${gvaUrl}/zone-fra/some-key`);
    expect(get.status).toBe(301);
    expect(codeOf(get.body)).toBe("PermanentRedirect");
    expect(element(get.body, "Bucket")).toBe("zone-fra");
    expect(element(get.body, "Endpoint")).toBe("localhost");
    expect(get.headers["x-amz-bucket-region"]).toBe(FRA);
    // Virtual-host style on a zone host: the Endpoint is <bucket>.<zone host>.
    const vhost = await signed(FRA, `http://zone-gva.localhost:${port}/`);
    expect({ status: vhost.status, endpoint: element(vhost.body, "Endpoint") }).toEqual({ status: 301, endpoint: "zone-gva.127.0.0.1" });
    // HeadBucket: no body, the region in the header, even without credentials; 403 carries it too.
    const head = await signed(GVA, `${gvaUrl}/zone-fra`, { method: "HEAD" });
    expect({ status: head.status, region: head.headers["x-amz-bucket-region"], body: head.body }).toEqual({ status: 301, region: FRA, body: "" });
    // GetBucketLocation answers through any zone endpoint, for any signing region: clients locate buckets with it.
    const location = await signed("us-east-1", `${gvaUrl}/zone-fra?location`);
    expect({ status: location.status, zone: />([^<]*)<\/LocationConstraint>/.exec(location.body)?.[1] }).toEqual({ status: 200, zone: FRA });
    const anonymous = await fetch(`${gvaUrl}/zone-gva`, { method: "HEAD" });
    expect({ status: anonymous.status, region: anonymous.headers.get("x-amz-bucket-region") }).toEqual({ status: 403, region: GVA });
  });

  it("answer a request signed for the wrong region with AuthorizationHeaderMalformed naming the bucket's", async () => {
    const header = await signed("us-east-1", `${gvaUrl}/zone-gva/k`, { method: "PUT", body: "x" });
    expect({ status: header.status, code: codeOf(header.body), region: element(header.body, "Region") }).toEqual({
      status: 400,
      code: "AuthorizationHeaderMalformed",
      region: GVA,
    });
    expect(element(header.body, "Message")?.replace(/&apos;/g, "'")).toBe(
      `The authorization header is malformed; the region 'us-east-1' is wrong; expecting '${GVA}'`,
    );
    const presigned = await signed("eu-west-1", `${fraUrl}/zone-fra/k`, { presign: true });
    expect({ status: presigned.status, code: codeOf(presigned.body), region: element(presigned.body, "Region") }).toEqual({
      status: 400,
      code: "AuthorizationQueryParametersError",
      region: FRA,
    });
    // No bucket named: the endpoint's own zone is expected.
    const list = await signed(FRA, `${gvaUrl}/`);
    expect({ status: list.status, region: element(list.body, "Region") }).toEqual({ status: 400, region: GVA });
    // Nothing was written.
    await expect(sdk(gvaUrl, GVA).send(new GetObjectCommand({ Bucket: "zone-gva", Key: "k" }))).rejects.toMatchObject({ name: "NoSuchKey" });
  });

  it("serve a request signed for the bucket's own zone through another zone's endpoint (how region-following clients arrive)", async () => {
    const put = await signed(FRA, `${gvaUrl}/zone-fra/arrived`, { method: "PUT", body: "via gva" });
    expect(put.status).toBe(200);
    const get = await signed(FRA, `${gvaUrl}/zone-fra/arrived`);
    expect({ status: get.status, body: get.body }).toEqual({ status: 200, body: "via gva" });
  });

  it("let the JS SDK with followRegionRedirects reach buckets of the other zone; without it the SDK sees PermanentRedirect", async () => {
    const following = sdk(gvaUrl, GVA, true);
    await following.send(new PutObjectCommand({ Bucket: "zone-fra", Key: "js", Body: "from the js sdk" }));
    const got = await following.send(new GetObjectCommand({ Bucket: "zone-fra", Key: "js" }));
    expect(await got.Body!.transformToString()).toBe("from the js sdk");
    expect((await following.send(new ListObjectsV2Command({ Bucket: "zone-fra" }))).Contents?.map((o) => o.Key)).toContain("js");
    // Configured for us-east-1: HeadBucket follows the 400's x-amz-bucket-region, and a bucket in another zone the 301.
    const usEast = sdk(fraUrl, "us-east-1", true);
    expect((await usEast.send(new HeadBucketCommand({ Bucket: "zone-fra" }))).BucketRegion).toBe(FRA);
    expect((await usEast.send(new HeadBucketCommand({ Bucket: "zone-gva" }))).BucketRegion).toBe(GVA);
    await expect(sdk(gvaUrl, GVA).send(new GetObjectCommand({ Bucket: "zone-fra", Key: "js" }))).rejects.toMatchObject({
      name: "PermanentRedirect",
      $metadata: { httpStatusCode: 301 },
    });
  });

  it("let the portal's signer (which starts with us-east-1) follow the zone endpoint's hints, once per bucket", async () => {
    const portal = new PortalS3(ROOT, fraUrl);
    // Another zone's bucket: 301 with x-amz-bucket-region, re-signed for ch-gva-2.
    await portal.send("PUT", { bucket: "zone-gva", key: "portal", body: "from the portal" });
    // The endpoint's own bucket: AuthorizationHeaderMalformed naming de-fra-1, re-signed.
    await portal.headBucket("zone-fra");
    const url = await portal.presign("zone-gva", "portal", 60);
    expect(new URL(url).searchParams.get("X-Amz-Credential")).toContain("/ch-gva-2/s3/");
    expect(await (await fetch(url)).text()).toBe("from the portal");
  });

  it("let the generic endpoint serve every zone, signed for us-east-1 as today's clients are", async () => {
    const put = await signed("us-east-1", `http://${GENERIC_HOST}:${port}/zone-fra/generic`, { method: "PUT", body: "generic" });
    expect(put.status).toBe(200);
    const create = await signed("us-east-1", `http://${GENERIC_HOST}:${port}/zone-generic`, { method: "PUT" });
    expect(create.status).toBe(200);
    expect((await sdk(gvaUrl, GVA).send(new GetBucketLocationCommand({ Bucket: "zone-generic" }))).LocationConstraint).toBe(GVA);
  });

  it("let boto3 and the AWS CLI, configured for us-east-1, reach buckets in both zones through either endpoint", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zones-clients-"));
    const env = {
      AWS_ACCESS_KEY_ID: ROOT.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ROOT.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: path.join(tmp, "config"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "credentials"),
      HOME: tmp,
    };
    fs.writeFileSync(env.AWS_CONFIG_FILE, "[default]\ns3 =\n    addressing_style = path\n");
    // boto3 retries with the region from the 301's x-amz-bucket-region and from AuthorizationHeaderMalformed's <Region>.
    const script = `
import boto3, json, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
out = {}
for bucket in ("zone-gva", "zone-fra"):
    s3.put_object(Bucket=bucket, Key="boto3", Body=b"boto3 " + bucket.encode())
    out[bucket] = s3.get_object(Bucket=bucket, Key="boto3")["Body"].read().decode()
print(json.dumps(out))
`;
    const boto = await runClient(PYTHON, ["-c", script, gvaUrl], { env, timeoutMs: 60_000 });
    expect(boto.code, boto.stderr).toBe(0);
    expect(JSON.parse(boto.stdout)).toEqual({ "zone-gva": "boto3 zone-gva", "zone-fra": "boto3 zone-fra" });

    fs.writeFileSync(path.join(tmp, "cli.txt"), "from the aws cli");
    const cp = await runClient(AWS, ["--endpoint-url", fraUrl, "s3", "cp", path.join(tmp, "cli.txt"), "s3://zone-gva/cli.txt"], { env, timeoutMs: 60_000 });
    expect(cp.code, cp.stderr).toBe(0);
    const ls = await runClient(AWS, ["--endpoint-url", fraUrl, "s3", "ls", "s3://zone-gva/"], { env, timeoutMs: 60_000 });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/cli\.txt/);
    const got = await sdk(gvaUrl, GVA).send(new GetObjectCommand({ Bucket: "zone-gva", Key: "cli.txt" }));
    expect(await got.Body!.transformToString()).toBe("from the aws cli");
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it("let rclone, which does not follow region hints with a custom endpoint, fail at once naming the bucket's zone, and work with that zone's endpoint", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zones-rclone-"));
    const conf = path.join(tmp, "rclone.conf");
    const lsf = async (endpoint: string, region: string) => {
      const remote = `type = s3\nprovider = Other\naccess_key_id = ${ROOT.accessKeyId}\nsecret_access_key = ${ROOT.secretAccessKey}\nforce_path_style = true\n`;
      fs.writeFileSync(conf, `[sos]\n${remote}endpoint = ${endpoint}\nregion = ${region}\n`);
      return runClient("rclone", ["--config", conf, "lsf", "sos:zone-fra", "--low-level-retries", "1", "--retries", "1"], { timeoutMs: 60_000 });
    };
    // rclone asks GetBucketLocation after the 301 (answered through every endpoint), then refuses to switch regions itself.
    const wrong = await lsf(gvaUrl, "us-east-1");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/bucket is in 'de-fra-1' region/);
    const right = await lsf(fraUrl, FRA);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout.split("\n")).toContain("js");
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 120_000);
});
