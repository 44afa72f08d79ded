// s3fs-fuse (Debian 1.90) mounting a bucket of `npm start`, with only the options a user needs for a
// non-AWS endpoint: url=, use_path_request_style, passwd_file. s3fs runs in the foreground (-f) so the
// test owns its process and its log; that changes nothing in how it talks to S3.
//
// Exercised through the mount: writes (small files and a 21 MiB file, which s3fs uploads in 10 MiB
// multipart parts), appends and an in-place edit of the big file (s3fs rewrites it as a multipart upload
// mixing UploadPartCopy of the unchanged ranges with uploads of the changed ones), renames (copy + delete,
// a directory too), chmod (a copy of the object onto itself with x-amz-metadata-directive: REPLACE),
// `ls -l`, read-back after a remount (no s3fs cache: ranged GETs), deletes. Every result is also checked
// from the S3 side. FUSE is checked at run time: no /dev/fuse, or a trial mount that fails in FUSE
// (e.g. a container without CAP_SYS_ADMIN), skips with a message naming what is missing; a missing s3fs
// binary skips too, or fails under SOS_REQUIRE_CLIENTS=1. SOS_KEEP_TMP=1 keeps the temp dir.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
import { cleanEnv, clientDescribe, expectOk, runClient, serverTail, startLocalServer, type LocalServer } from "./local-server";

const KEEP = process.env.SOS_KEEP_TMP === "1";
const S3FS = fs.existsSync("/usr/bin/s3fs") ? "/usr/bin/s3fs" : undefined;
const FUSERMOUNT = ["/usr/bin/fusermount3", "/usr/bin/fusermount", "/bin/fusermount3", "/bin/fusermount"].filter((p) => fs.existsSync(p));
const AK = "EXOS3FSTEST0000000000001";
const SK = "s3fs-test-secret-00000000000000000000000";
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** n pseudo-random bytes, the same for the same seed (AES-256-CTR of zeros under sha256(seed)). */
const seeded = (seed: string, n: number) =>
  crypto.createCipheriv("aes-256-ctr", crypto.createHash("sha256").update(seed).digest(), Buffer.alloc(16)).update(Buffer.alloc(n));
const sha256 = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

const isMounted = (dir: string) =>
  fs
    .readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[1] === dir);

/** What this machine lacks for FUSE mounts, or undefined. The trial mount decides the rest. */
function fuseMissing(): string | undefined {
  if (!fs.existsSync("/dev/fuse")) return "/dev/fuse does not exist (no FUSE in this kernel or container; `docker run --device /dev/fuse --cap-add SYS_ADMIN`)";
  if (FUSERMOUNT.length === 0) return "fusermount3/fusermount not found (apt-get install -y fuse3)";
  return undefined;
}

interface Mount {
  child: ChildProcess;
  log: () => string;
  exited: () => boolean;
}

let tmp = "";
let server: LocalServer | undefined;
let mount: Mount | undefined;
let skipReason: string | undefined;

clientDescribe(
  "s3fs-fuse",
  S3FS,
  () => {
    const bucket = `s3fs-${crypto.randomBytes(4).toString("hex")}`;
    const mnt = () => path.join(tmp, "mnt");
    const at = (rel: string) => path.join(mnt(), rel);
    const s3 = new AwsClient({ accessKeyId: AK, secretAccessKey: SK, service: "s3", region: "us-east-1" });
    const url = (key = "", query = "") => `${server!.endpoint}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}${query}`;
    const s3get = async (key: string) => {
      const res = await s3.fetch(url(key));
      expect(res.status, `GET ${key}`).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    const s3keys = async () => {
      const xml = await (await s3.fetch(url("", "?list-type=2"))).text();
      return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]).sort();
    };
    const context = () => `s3fs log (tail):\n${mount ? serverTail(mount.log()) : "(not mounted)"}\nserver log (tail):\n${serverTail(server?.log() ?? "")}`;
    /** Skips the calling test when FUSE is not usable here (decided in beforeAll). */
    const needFuse = (ctx: TestContext) => {
      if (skipReason) ctx.skip(skipReason);
    };

    /** Starts `s3fs bucket mnt -f -o ...`; resolves once the mount shows in /proc/mounts, or rejects with what s3fs said. */
    async function startMount(): Promise<Mount> {
      const args = [bucket, mnt(), "-f", "-o", `url=${server!.endpoint}`, "-o", "use_path_request_style", "-o", `passwd_file=${path.join(tmp, "passwd-s3fs")}`];
      const child = spawn(S3FS!, args, { env: cleanEnv({ HOME: tmp }), stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      let exited = false;
      child.stdout!.setEncoding("utf8").on("data", (d) => (log += d));
      child.stderr!.setEncoding("utf8").on("data", (d) => (log += d));
      child.on("exit", () => (exited = true));
      child.on("error", (e) => {
        log += String(e);
        exited = true;
      });
      const m: Mount = { child, log: () => log, exited: () => exited };
      for (let waited = 0; waited < 20_000; waited += 100) {
        if (isMounted(mnt())) {
          // s3fs checks the bucket right after mounting, and exits if that fails: give it that moment.
          await sleep(300);
          if (!exited && isMounted(mnt())) return m;
        }
        if (exited) break;
        await sleep(100);
      }
      child.kill("SIGKILL");
      // FUSE refusing the mount (e.g. "fusermount: mount failed: Operation not permitted") happens before s3fs talks to S3.
      const fuseLine = log.split("\n").find((l) => /fuse|mount failed|not permitted/i.test(l) && !/\[INF\]/.test(l));
      const talkedToS3 = /s3fs_check_service|CheckBucket|S3 response/.test(log);
      throw Object.assign(new Error(`s3fs did not mount ${mnt()}\ncommand: s3fs ${args.join(" ")}\noutput:\n${log.trim() || "(empty)"}`), {
        fuseProblem: fuseLine && !talkedToS3 ? fuseLine.trim() : undefined,
      });
    }

    /** fusermount3 -u (or fusermount -u), then a lazy unmount if it is busy; waits for s3fs to exit, kills it by PID if it does not. */
    async function unmount(m: Mount | undefined) {
      if (isMounted(mnt())) {
        for (const args of [["-u"], ["-u", "-z"]]) {
          for (const bin of FUSERMOUNT) if (isMounted(mnt())) await runClient(bin, [...args, mnt()], { timeoutMs: 15_000 });
        }
      }
      for (let i = 0; m && !m.exited() && i < 50; i++) await sleep(100);
      if (m && !m.exited()) m.child.kill("SIGKILL");
    }

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-s3fs-"));
      skipReason = fuseMissing();
      if (skipReason) return console.warn(`[s3fs.test] skipping the s3fs tests: ${skipReason}`);
      server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state") });
      expect((await s3.fetch(url(), { method: "PUT" })).status).toBe(200);
      fs.writeFileSync(path.join(tmp, "passwd-s3fs"), `${AK}:${SK}\n`, { mode: 0o600 });
      fs.mkdirSync(mnt());
      try {
        mount = await startMount(); // the trial mount: does FUSE work on this machine?
      } catch (e) {
        const fuseProblem = (e as { fuseProblem?: string }).fuseProblem;
        if (!fuseProblem) throw e;
        skipReason = `FUSE mounts do not work here: a trial mount failed with "${fuseProblem}" (a container needs --device /dev/fuse --cap-add SYS_ADMIN)`;
        console.warn(`[s3fs.test] skipping the s3fs tests: ${skipReason}`);
      }
    }, 240_000);

    afterAll(async () => {
      try {
        if (tmp) await unmount(mount);
      } finally {
        await server?.stop();
        if (tmp && !KEEP && !isMounted(mnt())) fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    const small = (i: number) => seeded(`small-${i}`, 100 + i * 311);
    const big = seeded("big", 21 * MiB + 77);
    const patch = seeded("patch", 4096);
    const tail = seeded("tail", 1000);
    // The big file after the append and the in-place edit at 12 MiB.
    const bigFinal = Buffer.concat([big, tail]);
    patch.copy(bigFinal, 12 * MiB);

    it("writes files (the big one in multipart parts) that the S3 API then serves", async (ctx) => {
      needFuse(ctx);
      await fsp.mkdir(at("docs/sub"), { recursive: true });
      for (let i = 0; i < 8; i++) await fsp.writeFile(at(`docs/${i < 4 ? "" : "sub/"}f${i}.txt`), small(i));
      await fsp.writeFile(at("big.bin"), big);
      for (let i = 0; i < 8; i++) expect(sha256(await s3get(`docs/${i < 4 ? "" : "sub/"}f${i}.txt`)), context()).toBe(sha256(small(i)));
      expect(sha256(await s3get("big.bin"))).toBe(sha256(big));
      const head = await s3.fetch(url("big.bin"), { method: "HEAD" });
      expect(head.headers.get("etag")).toMatch(/-2"$/); // 10 MiB + the rest (s3fs folds the short tail into the last part)
      expect(await s3keys()).toEqual(expect.arrayContaining(["docs/", "docs/sub/", "big.bin"]));
    }, 60_000);

    it("appends to a small file and to the big one, and edits the big one in place", async (ctx) => {
      needFuse(ctx);
      await fsp.appendFile(at("docs/f0.txt"), "appended line\n");
      await fsp.appendFile(at("big.bin"), tail);
      const fh = await fsp.open(at("big.bin"), "r+");
      await fh.write(patch, 0, patch.length, 12 * MiB);
      await fh.close();
      expect((await s3get("docs/f0.txt")).toString("latin1")).toBe(small(0).toString("latin1") + "appended line\n");
      expect(sha256(await s3get("big.bin")), context()).toBe(sha256(bigFinal));
    }, 60_000);

    it("renames a file, the big file and a directory; chmod rewrites the object's metadata", async (ctx) => {
      needFuse(ctx);
      await fsp.rename(at("docs/f1.txt"), at("docs/renamed.txt"));
      await fsp.rename(at("big.bin"), at("moved.bin"));
      await fsp.rename(at("docs/sub"), at("docs/sub2"));
      await fsp.chmod(at("docs/f2.txt"), 0o600);
      const keys = await s3keys();
      expect(keys, context()).toEqual(expect.arrayContaining(["docs/renamed.txt", "moved.bin", "docs/sub2/", "docs/sub2/f4.txt", "docs/sub2/f7.txt"]));
      for (const gone of ["docs/f1.txt", "big.bin", "docs/sub/", "docs/sub/f4.txt"]) expect(keys).not.toContain(gone);
      expect(sha256(await s3get("moved.bin"))).toBe(sha256(bigFinal));
      expect(sha256(await s3get("docs/renamed.txt"))).toBe(sha256(small(1)));
      const head = await s3.fetch(url("docs/f2.txt"), { method: "HEAD" });
      expect(Number(head.headers.get("x-amz-meta-mode")) & 0o777).toBe(0o600);
      expect(sha256(await s3get("docs/f2.txt"))).toBe(sha256(small(2)));
    }, 60_000);

    it("after a remount, `ls -l` shows the names and sizes and every file reads back byte for byte", async (ctx) => {
      needFuse(ctx);
      await unmount(mount);
      mount = undefined;
      expect(isMounted(mnt())).toBe(false);
      mount = await startMount(); // a fresh s3fs: no stat or data cache
      const expected = new Map<string, Buffer>([
        ["moved.bin", bigFinal],
        ["docs/f0.txt", Buffer.concat([small(0), Buffer.from("appended line\n")])],
        ["docs/renamed.txt", small(1)],
        ["docs/f2.txt", small(2)],
        ["docs/f3.txt", small(3)],
        ...[4, 5, 6, 7].map((i) => [`docs/sub2/f${i}.txt`, small(i)] as [string, Buffer]),
      ]);
      const ls = expectOk(await runClient("ls", ["-lR", mnt()], { env: { LC_ALL: "C" } }), server!.log());
      // "-rw------- 1 root root 722 Dec  1 19:39 f2.txt" under "<dir>:" headers
      const seen = new Map<string, { mode: string; size: number }>();
      let dir = "";
      for (const line of ls.stdout.split("\n")) {
        const header = /^(.*):$/.exec(line);
        if (header) dir = path.relative(mnt(), header[1]);
        const m = /^([-d][rwx-]{9})\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(.+)$/.exec(line);
        if (m) seen.set(path.join(dir, m[3]) + (m[1][0] === "d" ? "/" : ""), { mode: m[1], size: Number(m[2]) });
      }
      expect([...seen.keys()].sort(), ls.stdout).toEqual([...expected.keys(), "docs/", "docs/sub2/"].sort());
      for (const [name, data] of expected) expect(seen.get(name)!.size, name).toBe(data.length);
      expect(seen.get("docs/f2.txt")!.mode).toBe("-rw-------");
      for (const [name, data] of expected) expect(sha256(await fsp.readFile(at(name))), name).toBe(sha256(data));
      // A ranged read through the mount (s3fs fetches only what is asked for).
      const fh = await fsp.open(at("moved.bin"), "r");
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(8192), 0, 8192, 12 * MiB - 4096);
      await fh.close();
      expect(bytesRead).toBe(8192);
      expect(buffer.equals(bigFinal.subarray(12 * MiB - 4096, 12 * MiB + 4096))).toBe(true);
    }, 60_000);

    it("deletes files and directories, leaving the bucket empty", async (ctx) => {
      needFuse(ctx);
      await fsp.rm(at("docs"), { recursive: true });
      await fsp.rm(at("moved.bin"));
      expect(await fsp.readdir(mnt())).toEqual([]);
      expect(await s3keys(), context()).toEqual([]);
    }, 60_000);
  },
  { wanted: "/usr/bin/s3fs", installHint: "apt-get install -y s3fs fuse3", tag: "s3fs.test" },
);
