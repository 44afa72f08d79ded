// End-to-end test with the REAL Debian S3 clients (awscli v2, rclone, s3cmd) against `node scripts/start.mjs`
// (the local front + workerd with local D1/R2), plus bin/sos-admin.mjs. The server, the client runner and the skip logic
// live in local-server.ts (shared with large-files.test.ts).
//
// - Missing client binaries: the client's tests are skipped with a message, unless SOS_REQUIRE_CLIENTS=1
//   (CI), in which case they fail.  SOS_SKIP_CLIENTS=1 skips this whole file.
// - SOS_KEEP_TMP=1 keeps the temp dir (state, configs, data, server.log) for inspection.
// - Every failing client command reports its command line, exit code, stdout, stderr and the tail of the
//   server's output.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  REQUIRE_CLIENTS,
  ROOT,
  SKIP_CLIENTS,
  clientDescribe,
  describeRun,
  expectFail,
  expectOk,
  runClient,
  startLocalServer,
  type LocalServer,
  type RunResult,
} from "./local-server";

const KEEP = process.env.SOS_KEEP_TMP === "1";

function findBin(name: string, preferred: string[] = []): string | undefined {
  const dirs = [...preferred, ...(process.env.PATH ?? "").split(path.delimiter)];
  for (const d of dirs) {
    const p = d.endsWith(name) ? d : path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

// The PATH `aws` may be a pyenv shim for awscli v1: always use Debian's.
const AWS = fs.existsSync("/usr/bin/aws") ? "/usr/bin/aws" : undefined;
const RCLONE = findBin("rclone", ["/usr/bin"]);
const S3CMD = findBin("s3cmd", ["/usr/bin"]);

/** describe() for one client: runs, or skips with a visible reason, or fails when SOS_REQUIRE_CLIENTS=1. */
function describeClient(label: string, bin: string | undefined, wanted: string, fn: () => void) {
  clientDescribe(label, bin, fn, { wanted, installHint: "apt-get install -y awscli rclone s3cmd", tag: "clients.test" });
}

// ---------------------------------------------------------------- fixed test credentials
const ROOT_AK = "EXOTESTROOTKEY000000000001";
const ROOT_SK = "test-root-secret-key-0000000000000000000";
const ADMIN_TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const MASTER_KEY = Buffer.alloc(32, 7).toString("base64");
const REGION = "us-east-1";

let tmp = "";
let port = 0;
let endpoint = "";
let server: LocalServer | undefined;

const serverLog = () => server?.log() ?? "";

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  return expectOk(await p, serverLog());
}

async function fails(p: Promise<RunResult>, pattern?: RegExp): Promise<RunResult> {
  return expectFail(await p, serverLog(), pattern);
}

// ---------------------------------------------------------------- local data helpers
function sha256(b: Buffer) {
  return crypto.createHash("sha256").update(b).digest("hex");
}

function md5(b: Buffer) {
  return crypto.createHash("md5").update(b).digest("hex");
}

function writeFile(p: string, data: Buffer | string) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** relative path -> content, for every file under dir */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p).split(path.sep).join("/"), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function expectSameTree(actualDir: string, expected: Map<string, Buffer>) {
  const actual = readTree(actualDir);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [k, v] of expected) {
    const a = actual.get(k)!;
    expect(a.length, `size of ${k}`).toBe(v.length);
    expect(sha256(a), `content of ${k}`).toBe(sha256(v));
  }
}

/** A small tree with nested keys, a key with spaces and unicode names. */
function makeTree(dir: string): Map<string, Buffer> {
  const files: Record<string, Buffer> = {
    "top.txt": Buffer.from("top level file\n"),
    "empty.txt": Buffer.alloc(0),
    "dir1/b.bin": crypto.randomBytes(70_001),
    "dir1/dir2/c.txt": Buffer.from("nested two levels\n".repeat(100)),
    "dir1/dir2/dir3/d.json": Buffer.from(JSON.stringify({ deep: true })),
    "with space/file name with spaces.txt": Buffer.from("spaces in key\n"),
    "ünïcödé/日本語 ファイル.txt": Buffer.from("unicode key, ä ö ü ✓\n"),
    "special/a+b=c&d,e;f'g(h).txt": Buffer.from("special characters in key\n"),
  };
  for (const [rel, data] of Object.entries(files)) writeFile(path.join(dir, rel), data);
  return new Map(Object.entries(files));
}

function uniq(prefix: string) {
  return `${prefix}-${crypto.randomBytes(4).toString("hex")}`;
}

// ---------------------------------------------------------------- server lifecycle
beforeAll(async () => {
  if (SKIP_CLIENTS || (!AWS && !RCLONE && !S3CMD && !REQUIRE_CLIENTS)) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-clients-"));
  server = await startLocalServer({
    accessKeyId: ROOT_AK,
    secretAccessKey: ROOT_SK,
    adminToken: ADMIN_TOKEN,
    masterKey: MASTER_KEY,
    stateDir: path.join(tmp, "state"),
    logFile: path.join(tmp, "server.log"),
    logLevel: process.env.SOS_LOG_LEVEL ?? "warn",
    readyTimeoutMs: 180_000,
  });
  ({ port, endpoint } = server);
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.warn(`[clients.test] kept ${tmp}`);
}, 30_000);

// ---------------------------------------------------------------- awscli
function awsFiles() {
  const cfg = path.join(tmp, "aws-config");
  const creds = path.join(tmp, "aws-credentials");
  if (!fs.existsSync(cfg)) {
    fs.writeFileSync(
      cfg,
      `[default]\nregion = ${REGION}\noutput = json\ns3 =\n    addressing_style = path\n\n[profile alice]\nregion = ${REGION}\noutput = json\ns3 =\n    addressing_style = path\n`,
    );
    fs.writeFileSync(creds, `[default]\naws_access_key_id = ${ROOT_AK}\naws_secret_access_key = ${ROOT_SK}\n`);
  }
  return { cfg, creds };
}

function aws(args: string[], opts: { profile?: string; timeoutMs?: number } = {}) {
  const { cfg, creds } = awsFiles();
  const env = {
    AWS_CONFIG_FILE: cfg,
    AWS_SHARED_CREDENTIALS_FILE: creds,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    AWS_DEFAULT_REGION: REGION,
    ...(opts.profile ? { AWS_PROFILE: opts.profile } : {}),
  };
  return runClient(AWS!, ["--endpoint-url", endpoint, "--region", REGION, ...args], { env, cwd: tmp, timeoutMs: opts.timeoutMs });
}

const ROOT_BUCKET_AWS = uniq("aws-root");

describeClient("awscli", AWS, "/usr/bin/aws", () => {
  const bucket = ROOT_BUCKET_AWS;
  let small: Buffer;

  it("s3 mb + s3 ls lists the bucket", async () => {
    await ok(aws(["s3", "mb", `s3://${bucket}`]));
    const r = await ok(aws(["s3", "ls"]));
    expect(r.stdout).toContain(bucket);
  }, 120_000);

  it("s3 cp small file up and down, byte-for-byte", async () => {
    small = Buffer.concat([Buffer.from("hello from awscli\n"), crypto.randomBytes(3000)]);
    writeFile(path.join(tmp, "aws/small.bin"), small);
    await ok(aws(["s3", "cp", path.join(tmp, "aws/small.bin"), `s3://${bucket}/small.bin`]));
    await ok(aws(["s3", "cp", `s3://${bucket}/small.bin`, path.join(tmp, "aws/small.down")]));
    expect(sha256(fs.readFileSync(path.join(tmp, "aws/small.down")))).toBe(sha256(small));
    const ls = await ok(aws(["s3", "ls", `s3://${bucket}/`]));
    expect(ls.stdout).toMatch(new RegExp(`\\s${small.length}\\s+small\\.bin`));
  }, 120_000);

  it("s3 cp ~20 MiB file up (multipart upload) and down (ranged GETs), byte-for-byte", async () => {
    const big = crypto.randomBytes(20 * 1024 * 1024 + 12345);
    writeFile(path.join(tmp, "aws/big.bin"), big);
    await ok(aws(["s3", "cp", path.join(tmp, "aws/big.bin"), `s3://${bucket}/big/big.bin`], { timeoutMs: 300_000 }));
    const head = JSON.parse((await ok(aws(["s3api", "head-object", "--bucket", bucket, "--key", "big/big.bin"]))).stdout);
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-\d+"$/); // multipart ETag
    await ok(aws(["s3", "cp", `s3://${bucket}/big/big.bin`, path.join(tmp, "aws/big.down")], { timeoutMs: 300_000 }));
    const down = fs.readFileSync(path.join(tmp, "aws/big.down"));
    expect(down.length).toBe(big.length);
    expect(sha256(down)).toBe(sha256(big));
  }, 600_000);

  it("s3 sync of a tree with nested keys, spaces and unicode, up and back down", async () => {
    const src = path.join(tmp, "aws/tree");
    const expected = makeTree(src);
    await ok(aws(["s3", "sync", src, `s3://${bucket}/tree/`]));
    const ls = await ok(aws(["s3", "ls", "--recursive", `s3://${bucket}/tree/`]));
    for (const k of expected.keys()) expect(ls.stdout, `listing contains ${k}`).toContain(`tree/${k}`);
    // A second sync has nothing to do.
    const again = await ok(aws(["s3", "sync", src, `s3://${bucket}/tree/`]));
    expect(again.stdout.trim()).toBe("");
    const dst = path.join(tmp, "aws/tree-down");
    await ok(aws(["s3", "sync", `s3://${bucket}/tree/`, dst]));
    expectSameTree(dst, expected);
    // --delete removes keys that vanished locally.
    fs.rmSync(path.join(src, "top.txt"));
    expected.delete("top.txt");
    await ok(aws(["s3", "sync", "--delete", src, `s3://${bucket}/tree/`]));
    const ls2 = await ok(aws(["s3", "ls", "--recursive", `s3://${bucket}/tree/`]));
    expect(ls2.stdout).not.toContain("tree/top.txt");
    expect(ls2.stdout).toContain("tree/dir1/dir2/c.txt");
  }, 300_000);

  it("s3api put-object / head-object / get-object / list-objects-v2", async () => {
    const body = crypto.randomBytes(10_000);
    writeFile(path.join(tmp, "aws/api.bin"), body);
    const put = JSON.parse(
      (
        await ok(
          aws([
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "api/obj one.bin",
            "--body",
            path.join(tmp, "aws/api.bin"),
            "--content-type",
            "application/x-test",
            "--metadata",
            "color=blue,shape=round",
          ]),
        )
      ).stdout,
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const head = JSON.parse((await ok(aws(["s3api", "head-object", "--bucket", bucket, "--key", "api/obj one.bin"]))).stdout);
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe("application/x-test");
    expect(head.ETag).toBe(`"${md5(body)}"`);
    expect(head.Metadata).toEqual({ color: "blue", shape: "round" });
    const get = JSON.parse((await ok(aws(["s3api", "get-object", "--bucket", bucket, "--key", "api/obj one.bin", path.join(tmp, "aws/api.down")]))).stdout);
    expect(get.ContentLength).toBe(body.length);
    expect(sha256(fs.readFileSync(path.join(tmp, "aws/api.down")))).toBe(sha256(body));
    const ranged = await ok(
      aws(["s3api", "get-object", "--bucket", bucket, "--key", "api/obj one.bin", "--range", "bytes=100-199", path.join(tmp, "aws/api.range")]),
    );
    expect(JSON.parse(ranged.stdout).ContentLength).toBe(100);
    expect(fs.readFileSync(path.join(tmp, "aws/api.range")).equals(body.subarray(100, 200))).toBe(true);
    const list = JSON.parse((await ok(aws(["s3api", "list-objects-v2", "--no-paginate", "--bucket", bucket, "--prefix", "api/"]))).stdout);
    expect(list.KeyCount).toBe(1);
    expect(list.Contents.map((c: { Key: string }) => c.Key)).toEqual(["api/obj one.bin"]);
    expect(list.Contents[0].Size).toBe(body.length);
    const delim = JSON.parse(
      (await ok(aws(["s3api", "list-objects-v2", "--no-paginate", "--bucket", bucket, "--prefix", "tree/", "--delimiter", "/"]))).stdout,
    );
    const prefixes = (delim.CommonPrefixes ?? []).map((p: { Prefix: string }) => p.Prefix).sort();
    expect(prefixes).toEqual(["tree/dir1/", "tree/special/", "tree/with space/", "tree/ünïcödé/"].sort());
    await fails(aws(["s3api", "head-object", "--bucket", bucket, "--key", "api/does-not-exist"]), /404|Not Found/);
  }, 180_000);

  it("s3api versioning: versions, delete markers, version reads and tagging", async () => {
    const vb = uniq("aws-versions");
    await ok(aws(["s3api", "create-bucket", "--bucket", vb]));
    await ok(aws(["s3api", "put-bucket-versioning", "--bucket", vb, "--versioning-configuration", "Status=Enabled"]));
    expect(JSON.parse((await ok(aws(["s3api", "get-bucket-versioning", "--bucket", vb]))).stdout).Status).toBe("Enabled");
    const bodies = [crypto.randomBytes(2000), crypto.randomBytes(3000)];
    const ids: string[] = [];
    for (const [i, b] of bodies.entries()) {
      writeFile(path.join(tmp, `aws/v${i}.bin`), b);
      ids.push(
        JSON.parse((await ok(aws(["s3api", "put-object", "--bucket", vb, "--key", "doc.bin", "--body", path.join(tmp, `aws/v${i}.bin`)]))).stdout).VersionId,
      );
    }
    const del = JSON.parse((await ok(aws(["s3api", "delete-object", "--bucket", vb, "--key", "doc.bin"]))).stdout);
    expect(del.DeleteMarker).toBe(true);
    const listed = JSON.parse((await ok(aws(["s3api", "list-object-versions", "--bucket", vb]))).stdout);
    expect(listed.Versions.map((v: { VersionId: string }) => v.VersionId)).toEqual([ids[1], ids[0]]);
    expect(listed.DeleteMarkers).toHaveLength(1);
    expect(listed.DeleteMarkers[0].IsLatest).toBe(true);
    await fails(aws(["s3api", "head-object", "--bucket", vb, "--key", "doc.bin"]), /404|Not Found/);
    await ok(aws(["s3api", "get-object", "--bucket", vb, "--key", "doc.bin", "--version-id", ids[0], path.join(tmp, "aws/v0.down")]));
    expect(sha256(fs.readFileSync(path.join(tmp, "aws/v0.down")))).toBe(sha256(bodies[0]));
    await ok(aws(["s3api", "put-object-tagging", "--bucket", vb, "--key", "doc.bin", "--version-id", ids[1], "--tagging", "TagSet=[{Key=team,Value=blue}]"]));
    const tags = JSON.parse((await ok(aws(["s3api", "get-object-tagging", "--bucket", vb, "--key", "doc.bin", "--version-id", ids[1]]))).stdout);
    expect(tags.TagSet).toEqual([{ Key: "team", Value: "blue" }]);
    // Removing the delete marker makes the newest version current again.
    await ok(aws(["s3api", "delete-object", "--bucket", vb, "--key", "doc.bin", "--version-id", listed.DeleteMarkers[0].VersionId]));
    await ok(aws(["s3", "cp", `s3://${vb}/doc.bin`, path.join(tmp, "aws/v1.down")]));
    expect(sha256(fs.readFileSync(path.join(tmp, "aws/v1.down")))).toBe(sha256(bodies[1]));
  }, 180_000);

  it("s3 presign URL can be fetched without credentials (query-string SigV4)", async () => {
    const body = Buffer.from("presigned content " + crypto.randomBytes(8).toString("hex"));
    writeFile(path.join(tmp, "aws/presign.txt"), body);
    await ok(aws(["s3", "cp", path.join(tmp, "aws/presign.txt"), `s3://${bucket}/presign/p 1.txt`]));
    const url = (await ok(aws(["s3", "presign", `s3://${bucket}/presign/p 1.txt`, "--expires-in", "300"]))).stdout.trim();
    expect(url).toMatch(/X-Amz-Signature=/);
    const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
    const got = Buffer.from(await res.arrayBuffer());
    expect(res.status, got.toString()).toBe(200);
    expect(got.equals(body)).toBe(true);
    const tampered = await fetch(url.replace("presign/p%201.txt", "presign/other.txt"));
    expect(tampered.status).toBe(403);
  }, 120_000);

  it("s3 rm of one key and --recursive, then s3 rb", async () => {
    await ok(aws(["s3", "rm", `s3://${bucket}/small.bin`]));
    await fails(aws(["s3api", "head-object", "--bucket", bucket, "--key", "small.bin"]), /404|Not Found/);
    await ok(aws(["s3", "rm", "--recursive", `s3://${bucket}/tree/`]));
    // awscli exits 1 when a listing is empty
    const ls = await aws(["s3", "ls", "--recursive", `s3://${bucket}/tree/`]);
    expect([0, 1], describeRun(ls, serverLog())).toContain(ls.code);
    expect(ls.stdout.trim()).toBe("");
    const scratch = uniq("aws-rb");
    await ok(aws(["s3", "mb", `s3://${scratch}`]));
    await ok(aws(["s3", "rb", `s3://${scratch}`]));
    expect((await ok(aws(["s3", "ls"]))).stdout).not.toContain(scratch);
  }, 180_000);
});

// ---------------------------------------------------------------- sos-admin + a second user
describeClient("sos-admin + second user via awscli", AWS, "/usr/bin/aws", () => {
  let userId = "";
  const rootBucket = uniq("root-private");
  const aliceBucket = uniq("alice-own");

  function admin(args: string[]) {
    return runClient(process.execPath, [path.join(ROOT, "bin/sos-admin.mjs"), "--endpoint", endpoint, "--token", ADMIN_TOKEN, ...args], {
      cwd: ROOT,
    });
  }

  it("sos-admin user create --json and key create --json", async () => {
    await ok(aws(["s3", "mb", `s3://${rootBucket}`]));
    const u = JSON.parse((await ok(admin(["user", "create", "alice", "--email", "alice@example.com", "--max-buckets", "3", "--json"]))).stdout);
    expect(u).toMatchObject({ displayName: "alice" });
    expect(typeof u.userId).toBe("string");
    userId = u.userId;
    const k = JSON.parse((await ok(admin(["key", "create", "--user", userId, "--json"]))).stdout);
    expect(typeof k.accessKeyId).toBe("string");
    expect(typeof k.secretAccessKey).toBe("string");
    expect(k.userId).toBe(userId);
    fs.appendFileSync(path.join(tmp, "aws-credentials"), `\n[alice]\naws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`);
    const list = await ok(admin(["user", "list"]));
    expect(list.stdout).toContain("alice");
    const keys = JSON.parse((await ok(admin(["key", "list", "--user", userId, "--json"]))).stdout);
    expect(keys.keys.map((x: { accessKeyId: string }) => x.accessKeyId)).toContain(k.accessKeyId);
  }, 120_000);

  it("the second user creates its own bucket and cannot see or read the root's buckets", async () => {
    expect(userId, "previous test created the user").not.toBe("");
    await ok(aws(["s3", "mb", `s3://${aliceBucket}`], { profile: "alice" }));
    writeFile(path.join(tmp, "alice.txt"), "alice's object\n");
    await ok(aws(["s3", "cp", path.join(tmp, "alice.txt"), `s3://${aliceBucket}/alice.txt`], { profile: "alice" }));
    const ls = await ok(aws(["s3", "ls"], { profile: "alice" }));
    expect(ls.stdout).toContain(aliceBucket);
    expect(ls.stdout).not.toContain(rootBucket);
    expect(ls.stdout).not.toContain(ROOT_BUCKET_AWS);
    await fails(aws(["s3", "ls", `s3://${rootBucket}/`], { profile: "alice" }), /AccessDenied|Access Denied|403/);
    // ...and the root does not see alice's bucket in its own listing either.
    expect((await ok(aws(["s3", "ls"]))).stdout).not.toContain(aliceBucket);
  }, 120_000);

  it("sos-admin usage lists buckets", async () => {
    const u = JSON.parse((await ok(admin(["usage", "--json"]))).stdout);
    const names = u.buckets.map((b: { name: string }) => b.name);
    expect(names).toContain(aliceBucket);
    const human = await ok(admin(["usage"]));
    expect(human.stdout).toContain(aliceBucket);
  }, 60_000);
});

// ---------------------------------------------------------------- rclone
function rclone(args: string[], timeoutMs = 180_000) {
  const conf = path.join(tmp, "rclone.conf");
  if (!fs.existsSync(conf)) {
    fs.writeFileSync(
      conf,
      `[sos]\ntype = s3\nprovider = Other\naccess_key_id = ${ROOT_AK}\nsecret_access_key = ${ROOT_SK}\nendpoint = ${endpoint}\nregion = ${REGION}\nforce_path_style = true\n`,
    );
  }
  // AWS_CA_BUNDLE makes rclone 1.60 fail (LoadCustomCABundleError); runClient() drops all AWS_* variables.
  return runClient(RCLONE!, ["--retries", "1", "--low-level-retries", "2", "--contimeout", "10s", ...args], {
    env: { RCLONE_CONFIG: conf },
    cwd: tmp,
    timeoutMs,
  });
}

describeClient("rclone", RCLONE, "rclone", () => {
  const bucket = uniq("rclone");
  let expected: Map<string, Buffer>;
  const src = () => path.join(tmp, "rclone/src");

  it("mkdir + copy a tree, lsf lists every key", async () => {
    expected = makeTree(src());
    await ok(rclone(["mkdir", `sos:${bucket}`]));
    await ok(rclone(["copy", src(), `sos:${bucket}/copy`]));
    const lsf = await ok(rclone(["lsf", "-R", "--files-only", `sos:${bucket}/copy`]));
    expect(lsf.stdout.trim().split("\n").sort()).toEqual([...expected.keys()].sort());
    const buckets = await ok(rclone(["lsf", "sos:"]));
    expect(buckets.stdout).toContain(`${bucket}/`);
  }, 180_000);

  it("sync + check (sizes and MD5s match), copy back down byte-for-byte", async () => {
    await ok(rclone(["sync", src(), `sos:${bucket}/sync`]));
    const check = await ok(rclone(["check", src(), `sos:${bucket}/sync`]));
    expect(check.stderr).toMatch(/0 differences found/);
    expect(check.stderr).not.toMatch(/hashes could not be checked/);
    const dst = path.join(tmp, "rclone/down");
    await ok(rclone(["copy", `sos:${bucket}/sync`, dst]));
    expectSameTree(dst, expected);
  }, 180_000);

  it("sync propagates a changed and a deleted file", async () => {
    writeFile(path.join(src(), "dir1/b.bin"), crypto.randomBytes(1234));
    fs.rmSync(path.join(src(), "top.txt"));
    await ok(rclone(["sync", src(), `sos:${bucket}/sync`]));
    await ok(rclone(["check", src(), `sos:${bucket}/sync`]));
    const lsf = await ok(rclone(["lsf", "-R", "--files-only", `sos:${bucket}/sync`]));
    expect(lsf.stdout).not.toContain("top.txt");
    const dst = path.join(tmp, "rclone/down2");
    await ok(rclone(["copy", `sos:${bucket}/sync`, dst]));
    expectSameTree(dst, readTree(src()));
  }, 180_000);

  it("multipart upload of a 12 MiB file (5 MiB chunks), check and download", async () => {
    const big = crypto.randomBytes(12 * 1024 * 1024 + 777);
    writeFile(path.join(tmp, "rclone/big/big.bin"), big);
    await ok(rclone(["copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", path.join(tmp, "rclone/big"), `sos:${bucket}/big`], 300_000));
    await ok(rclone(["check", path.join(tmp, "rclone/big"), `sos:${bucket}/big`]));
    await ok(rclone(["copy", `sos:${bucket}/big`, path.join(tmp, "rclone/big-down")], 300_000));
    expect(sha256(fs.readFileSync(path.join(tmp, "rclone/big-down/big.bin")))).toBe(sha256(big));
  }, 600_000);

  it("--s3-versions lists the old versions of an overwritten file", async () => {
    const vb = uniq("rclone-versions");
    await ok(rclone(["mkdir", `sos:${vb}`]));
    await ok(rclone(["backend", "versioning", `sos:${vb}`, "Enabled"]));
    const dir = path.join(tmp, "rclone/versions");
    writeFile(path.join(dir, "note.txt"), "first version\n");
    await ok(rclone(["copy", dir, `sos:${vb}`]));
    writeFile(path.join(dir, "note.txt"), "second, longer version\n");
    await ok(rclone(["copy", dir, `sos:${vb}`]));
    const plain = (await ok(rclone(["lsf", `sos:${vb}`]))).stdout.trim().split("\n");
    expect(plain).toEqual(["note.txt"]);
    const all = (await ok(rclone(["lsf", "--s3-versions", `sos:${vb}`]))).stdout.trim().split("\n").sort();
    expect(all).toHaveLength(2);
    expect(all).toContain("note.txt");
    expect(all.find((n) => n !== "note.txt")).toMatch(/^note-v\d{4}-\d{2}-\d{2}-\d{6}-\d{3}\.txt$/);
    const old = all.find((n) => n !== "note.txt")!;
    const got = await ok(rclone(["cat", "--s3-versions", `sos:${vb}/${old}`]));
    expect(got.stdout).toBe("first version\n");
  }, 180_000);

  it("purge removes the bucket", async () => {
    await ok(rclone(["purge", `sos:${bucket}`]));
    const buckets = await ok(rclone(["lsf", "sos:"]));
    expect(buckets.stdout).not.toContain(`${bucket}/`);
  }, 120_000);
});

// ---------------------------------------------------------------- s3cmd (SigV4, then SigV2)
function s3cmdConfig(sigV2: boolean) {
  const file = path.join(tmp, `s3cmd-${sigV2 ? "v2" : "v4"}.cfg`);
  fs.writeFileSync(
    file,
    [
      "[default]",
      `access_key = ${ROOT_AK}`,
      `secret_key = ${ROOT_SK}`,
      `host_base = 127.0.0.1:${port}`,
      `host_bucket = 127.0.0.1:${port}`,
      "use_https = False",
      `signature_v2 = ${sigV2 ? "True" : "False"}`,
      `bucket_location = ${REGION}`,
      "check_ssl_certificate = False",
      "guess_mime_type = True",
      "",
    ].join("\n"),
  );
  return file;
}

function s3cmd(cfg: string, args: string[]) {
  return runClient(S3CMD!, ["-c", cfg, "--no-progress", ...args], { env: { HOME: tmp }, cwd: tmp });
}

for (const sigV2 of [false, true]) {
  const label = `s3cmd (${sigV2 ? "signature_v2 = True" : "signature_v2 = False, SigV4"})`;
  describeClient(label, S3CMD, "s3cmd", () => {
    const bucket = uniq(sigV2 ? "s3cmd-v2" : "s3cmd-v4");
    let cfg = "";
    const data = crypto.randomBytes(200_000);
    const dir = () => path.join(tmp, `s3cmd-${sigV2 ? "v2" : "v4"}`);

    it("mb + ls lists the bucket", async () => {
      cfg = s3cmdConfig(sigV2);
      await ok(s3cmd(cfg, ["mb", `s3://${bucket}`]));
      const ls = await ok(s3cmd(cfg, ["ls"]));
      expect(ls.stdout).toContain(`s3://${bucket}`);
    }, 120_000);

    it("put + get byte-for-byte (plain key and a key with spaces/unicode)", async () => {
      writeFile(path.join(dir(), "file.bin"), data);
      await ok(s3cmd(cfg, ["put", path.join(dir(), "file.bin"), `s3://${bucket}/file.bin`]));
      await ok(s3cmd(cfg, ["put", path.join(dir(), "file.bin"), `s3://${bucket}/dir/ä ö/file two.bin`]));
      await ok(s3cmd(cfg, ["get", "--force", `s3://${bucket}/file.bin`, path.join(dir(), "down.bin")]));
      expect(sha256(fs.readFileSync(path.join(dir(), "down.bin")))).toBe(sha256(data));
      await ok(s3cmd(cfg, ["get", "--force", `s3://${bucket}/dir/ä ö/file two.bin`, path.join(dir(), "down2.bin")]));
      expect(sha256(fs.readFileSync(path.join(dir(), "down2.bin")))).toBe(sha256(data));
    }, 120_000);

    it("ls of the bucket shows the objects with sizes", async () => {
      const ls = await ok(s3cmd(cfg, ["ls", "--recursive", `s3://${bucket}`]));
      expect(ls.stdout).toMatch(new RegExp(`\\s${data.length}\\s+s3://${bucket}/file\\.bin`));
      expect(ls.stdout).toContain(`s3://${bucket}/dir/ä ö/file two.bin`);
      const top = await ok(s3cmd(cfg, ["ls", `s3://${bucket}`]));
      expect(top.stdout).toMatch(/DIR\s+s3:\/\/[^\s]+\/dir\//);
    }, 120_000);

    it("multipart put of a 12 MiB file (5 MiB chunks) + get", async () => {
      const big = crypto.randomBytes(12 * 1024 * 1024 + 333);
      writeFile(path.join(dir(), "big.bin"), big);
      await ok(s3cmd(cfg, ["put", "--multipart-chunk-size-mb=5", path.join(dir(), "big.bin"), `s3://${bucket}/big.bin`]));
      try {
        await ok(s3cmd(cfg, ["get", "--force", `s3://${bucket}/big.bin`, path.join(dir(), "big.down")]));
        expect(sha256(fs.readFileSync(path.join(dir(), "big.down")))).toBe(sha256(big));
      } finally {
        await s3cmd(cfg, ["del", `s3://${bucket}/big.bin`]); // keep the next test independent of this one
      }
    }, 600_000);

    it("del + rb", async () => {
      await ok(s3cmd(cfg, ["del", `s3://${bucket}/file.bin`]));
      await ok(s3cmd(cfg, ["del", `s3://${bucket}/dir/ä ö/file two.bin`]));
      const ls = await ok(s3cmd(cfg, ["ls", "--recursive", `s3://${bucket}`]));
      expect(ls.stdout.trim()).toBe("");
      await ok(s3cmd(cfg, ["rb", `s3://${bucket}`]));
      expect((await ok(s3cmd(cfg, ["ls"]))).stdout).not.toContain(`s3://${bucket}`);
    }, 120_000);
  });
}
