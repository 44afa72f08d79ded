// Large files through the REAL Debian clients against `node scripts/start.mjs` (wrangler dev + local
// D1/R2): `aws s3 cp` of a file over 100 MiB up (multipart, 8 MiB parts) and down (parallel ranged
// GETs that cross part boundaries), and rclone with an unequal last chunk, compared byte for byte.
//
// Missing binaries skip the client's tests with a message, unless SOS_REQUIRE_CLIENTS=1 (CI), which
// fails instead; SOS_SKIP_CLIENTS=1 skips the file. clients.test.ts exports no helpers, so this
// file starts its own server the same way.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const REQUIRE = process.env.SOS_REQUIRE_CLIENTS === "1";
const SKIP_ALL = process.env.SOS_SKIP_CLIENTS === "1";
// The PATH `aws` may be a pyenv shim for awscli v1: use Debian's awscli v2.
const AWS = fs.existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;
const RCLONE = fs.existsSync("/usr/bin/rclone") ? "/usr/bin/rclone" : undefined;

const AK = "EXOLARGEFILES0000000000001";
const SK = "large-files-test-secret-0000000000000000";
const REGION = "us-east-1";
const MiB = 1024 * 1024;

function clientDescribe(label: string, bin: string | undefined, fn: () => void) {
  if (SKIP_ALL) return describe.skip(`${label} (SOS_SKIP_CLIENTS=1)`, fn);
  if (bin) return describe(`${label} (${bin})`, fn);
  const why = `${label} not found; install it (apt-get install -y awscli rclone)`;
  if (REQUIRE) return describe(label, () => it(`${label} is installed (SOS_REQUIRE_CLIENTS=1)`, () => { throw new Error(why); }));
  console.warn(`[large-files.test] skipping ${label}: ${why}. Set SOS_REQUIRE_CLIENTS=1 to fail instead.`);
  return describe.skip(`${label} (skipped: ${why})`, fn);
}

let tmp = "";
let endpoint = "";
let server: ChildProcess | undefined;
let serverLog = "";

type Run = { code: number | null; stdout: string; stderr: string; cmdline: string };

/** Runs a client with a clean environment (no AWS_*, RCLONE_* or proxy variables from outside). */
function exec(cmd: string, args: string[], extraEnv: Record<string, string>, timeoutMs = 120_000): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|RCLONE_)|^(http|https|all)_proxy$/i.test(k)) env[k] = v;
  Object.assign(env, { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" }, extraEnv);
  const cmdline = [cmd, ...args].join(" ");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs / 1000}s`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => resolve({ code: -1, stdout, stderr: stderr + String(e), cmdline }));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, cmdline });
    });
  });
}

async function ok(p: Promise<Run>): Promise<Run> {
  const r = await p;
  if (r.code !== 0) {
    throw new Error(`client command failed: ${r.cmdline}\nexit ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}\nserver:\n${serverLog.slice(-3000)}`);
  }
  return r;
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForServer(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`server exited (${server.exitCode})\n${serverLog.slice(-3000)}`);
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`server did not answer within ${timeoutMs / 1000}s\n${serverLog.slice(-3000)}`);
}

/** start.mjs, wrangler and workerd share one process group: signal the group, by its id. */
function killServer(signal: NodeJS.Signals) {
  if (server?.pid === undefined) return;
  try {
    process.kill(-server.pid, signal);
  } catch {
    /* already gone */
  }
}

beforeAll(async () => {
  if (SKIP_ALL || (!AWS && !RCLONE)) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-large-"));
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      SOS_STATE_DIR: path.join(tmp, "state"),
      SOS_ROOT_ACCESS_KEY: AK,
      SOS_ROOT_SECRET_KEY: SK,
      SOS_ADMIN_TOKEN: crypto.randomBytes(32).toString("hex"),
      SOS_MASTER_KEY: crypto.randomBytes(32).toString("base64"),
      SOS_LOG_LEVEL: "warn",
    },
  });
  const onData = (d: Buffer) => {
    serverLog = (serverLog + d.toString("utf8")).slice(-50_000);
  };
  server.stdout!.on("data", onData);
  server.stderr!.on("data", onData);
  await waitForServer(120_000);
}, 180_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const gone = new Promise((r) => server!.once("exit", r));
    killServer("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    killServer("SIGKILL");
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

clientDescribe("awscli", AWS, () => {
  const bucket = `large-aws-${crypto.randomBytes(3).toString("hex")}`;
  const aws = (args: string[], timeoutMs = 300_000) => {
    const cfg = path.join(tmp, "aws-config");
    const creds = path.join(tmp, "aws-credentials");
    if (!fs.existsSync(cfg)) {
      fs.writeFileSync(cfg, `[default]\nregion = ${REGION}\ns3 =\n    addressing_style = path\n`);
      fs.writeFileSync(creds, `[default]\naws_access_key_id = ${AK}\naws_secret_access_key = ${SK}\n`);
    }
    return exec(
      AWS!,
      ["--endpoint-url", endpoint, "--region", REGION, ...args],
      { AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_EC2_METADATA_DISABLED: "true", AWS_PAGER: "" },
      timeoutMs,
    );
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

clientDescribe("rclone", RCLONE, () => {
  const bucket = `large-rclone-${crypto.randomBytes(3).toString("hex")}`;
  const rclone = (args: string[], timeoutMs = 300_000) => {
    const conf = path.join(tmp, "rclone.conf");
    if (!fs.existsSync(conf)) {
      fs.writeFileSync(
        conf,
        `[sos]\ntype = s3\nprovider = Other\naccess_key_id = ${AK}\nsecret_access_key = ${SK}\nendpoint = ${endpoint}\nregion = ${REGION}\nforce_path_style = true\n`,
      );
    }
    // AWS_CA_BUNDLE breaks rclone 1.60 (LoadCustomCABundleError); exec() drops every AWS_* variable.
    return exec(RCLONE!, ["--retries", "1", "--low-level-retries", "2", ...args], { RCLONE_CONFIG: conf }, timeoutMs);
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
