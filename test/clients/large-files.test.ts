// Large files through the REAL Debian clients against `node scripts/start.mjs` (the local front + workerd with local
// D1/R2): `aws s3 cp` of a file over 100 MiB up (multipart, 8 MiB parts) and down (parallel ranged
// GETs that cross part boundaries), and rclone with an unequal last chunk, compared byte for byte.
//
// Missing binaries skip the client's tests with a message, unless SOS_REQUIRE_CLIENTS=1 (CI), which
// fails instead; SOS_SKIP_CLIENTS=1 skips the file. The server, the client runner and the skip logic
// live in local-server.ts (shared with clients.test.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SKIP_CLIENTS, clientDescribe, expectOk, runClient, startLocalServer, type LocalServer, type RunResult } from "./local-server";

// The PATH `aws` may be a pyenv shim for awscli v1: use Debian's awscli v2.
const AWS = fs.existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;
const RCLONE = fs.existsSync("/usr/bin/rclone") ? "/usr/bin/rclone" : undefined;

const AK = "EXOLARGEFILES0000000000001";
const SK = "large-files-test-secret-0000000000000000";
const REGION = "us-east-1";
const MiB = 1024 * 1024;

function describeClient(label: string, bin: string | undefined, fn: () => void) {
  clientDescribe(label, bin, fn, { installHint: "apt-get install -y awscli rclone", tag: "large-files.test" });
}

let tmp = "";
let endpoint = "";
let server: LocalServer | undefined;

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  return expectOk(await p, server?.log() ?? "");
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  if (SKIP_CLIENTS || (!AWS && !RCLONE)) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-large-"));
  // Random admin token and master key; SOS_LOG_LEVEL "warn".
  server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state"), readyTimeoutMs: 120_000 });
  endpoint = server.endpoint;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describeClient("awscli", AWS, () => {
  const bucket = `large-aws-${crypto.randomBytes(3).toString("hex")}`;
  const aws = (args: string[], timeoutMs = 300_000) => {
    const cfg = path.join(tmp, "aws-config");
    const creds = path.join(tmp, "aws-credentials");
    if (!fs.existsSync(cfg)) {
      fs.writeFileSync(cfg, `[default]\nregion = ${REGION}\ns3 =\n    addressing_style = path\n`);
      fs.writeFileSync(creds, `[default]\naws_access_key_id = ${AK}\naws_secret_access_key = ${SK}\n`);
    }
    return runClient(AWS!, ["--endpoint-url", endpoint, "--region", REGION, ...args], {
      env: { AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_EC2_METADATA_DISABLED: "true", AWS_PAGER: "" },
      cwd: tmp,
      timeoutMs,
    });
  };

  it("s3 cp of a 101 MiB file up (multipart) and down (ranged GETs), byte for byte", async () => {
    const data = crypto.randomBytes(101 * MiB + 4321);
    const file = path.join(tmp, "aws-big.bin");
    fs.writeFileSync(file, data);
    await ok(aws(["s3", "mb", `s3://${bucket}`]));
    await ok(aws(["s3", "cp", file, `s3://${bucket}/big/file.bin`]));
    const head = JSON.parse((await ok(aws(["s3api", "head-object", "--bucket", bucket, "--key", "big/file.bin", "--part-number", "1"]))).stdout);
    // awscli's default 8 MiB parts: 13 of them, the last one smaller.
    expect(head.PartsCount).toBe(13);
    expect(head.ContentLength).toBe(8 * MiB);
    const full = JSON.parse((await ok(aws(["s3api", "head-object", "--bucket", bucket, "--key", "big/file.bin"]))).stdout);
    expect(full.ContentLength).toBe(data.length);
    expect(full.ETag).toMatch(/^"[0-9a-f]{32}-13"$/);
    const down = path.join(tmp, "aws-big.down");
    await ok(aws(["s3", "cp", `s3://${bucket}/big/file.bin`, down]));
    const got = fs.readFileSync(down);
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
    await ok(aws(["s3", "rm", `s3://${bucket}/big/file.bin`]));
    await ok(aws(["s3", "rb", `s3://${bucket}`]));
    fs.rmSync(file);
    fs.rmSync(down);
  }, 300_000);
});

describeClient("rclone", RCLONE, () => {
  const bucket = `large-rclone-${crypto.randomBytes(3).toString("hex")}`;
  const rclone = (args: string[], timeoutMs = 300_000) => {
    const conf = path.join(tmp, "rclone.conf");
    if (!fs.existsSync(conf)) {
      fs.writeFileSync(
        conf,
        `[sos]\ntype = s3\nprovider = Other\naccess_key_id = ${AK}\nsecret_access_key = ${SK}\nendpoint = ${endpoint}\nregion = ${REGION}\nforce_path_style = true\n`,
      );
    }
    // AWS_CA_BUNDLE breaks rclone 1.60 (LoadCustomCABundleError); runClient() drops every AWS_* variable.
    return runClient(RCLONE!, ["--retries", "1", "--low-level-retries", "2", ...args], { env: { RCLONE_CONFIG: conf }, cwd: tmp, timeoutMs });
  };

  it("copies a 40 MiB file up in 7 MiB chunks (the last one smaller), checks it, and copies it back byte for byte", async () => {
    const data = crypto.randomBytes(40 * MiB + 999);
    const dir = path.join(tmp, "rclone-up");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "big.bin"), data);
    await ok(rclone(["mkdir", `sos:${bucket}`]));
    await ok(rclone(["copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "7M", dir, `sos:${bucket}/big`]));
    await ok(rclone(["check", dir, `sos:${bucket}/big`]));
    const down = path.join(tmp, "rclone-down");
    await ok(rclone(["copy", `sos:${bucket}/big`, down]));
    const got = fs.readFileSync(path.join(down, "big.bin"));
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
    await ok(rclone(["purge", `sos:${bucket}`]));
  }, 300_000);
});
