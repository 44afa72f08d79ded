// restic (Debian's, 0.14: minio-go underneath) at its defaults against `node scripts/start.mjs` (the local front +
// workerd with local D1/R2), run as its users run it: `restic -r s3:http://HOST:PORT/bucket ...` with
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and RESTIC_PASSWORD in the environment, no other settings.
//
// One repository, in order: init; back up a few thousand small files in nested directories and a 200 MiB file
// (a seeded pseudo-random stream, so restic cannot deduplicate it away); `check --read-data`; restore and compare
// every file by size and SHA-256; change, add and delete some files and back up again; `forget --keep-last 1
// --prune`; `check`; restore the remaining snapshot and compare again.
//
// A missing restic skips the file with a message, unless SOS_REQUIRE_CLIENTS=1 (CI), which fails instead;
// SOS_SKIP_CLIENTS=1 skips it. SOS_KEEP_TMP=1 keeps the temp dir (data, restores, state).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SKIP_CLIENTS, clientDescribe, expectOk, runClient, startLocalServer, type LocalServer, type RunResult } from "./local-server";

const RESTIC = fs.existsSync("/usr/bin/restic") ? "/usr/bin/restic" : undefined;
const KEEP = process.env.SOS_KEEP_TMP === "1";

const AK = "EXORESTICTEST0000000000001";
const SK = "restic-test-secret-00000000000000000000";
const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL_FILES = 3000;
const BIG_FILE_BYTES = 200 * MiB;

let tmp = "";
let server: LocalServer | undefined;
let repo = "";
/** How long each restic command took, printed once at the end (for the CI budget, not asserted). */
const timings: string[] = [];
const since = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)}s`;

/** A deterministic pseudo-random byte stream: the AES-256-CTR keystream of a seed. */
function seededStream(seed: string) {
  const cipher = crypto.createCipheriv("aes-256-ctr", crypto.createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  return (n: number) => cipher.update(Buffer.alloc(n));
}

/** SMALL_FILES files of 0-8 KiB in two levels of directories, and one BIG_FILE_BYTES file; returns their relative paths. */
function makeSourceTree(dir: string, seed: string): string[] {
  const bytes = seededStream(seed);
  const rels: string[] = [];
  for (let i = 0; i < SMALL_FILES; i++) {
    const rel = `small/d${i % 10}/e${Math.floor(i / 10) % 15}/f${i}.bin`;
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes(bytes(4).readUInt32LE(0) % (8 * KiB + 1)));
    rels.push(rel);
  }
  const fd = fs.openSync(path.join(dir, "big.bin"), "w");
  for (let done = 0; done < BIG_FILE_BYTES; done += 8 * MiB) fs.writeSync(fd, bytes(Math.min(8 * MiB, BIG_FILE_BYTES - done)));
  fs.closeSync(fd);
  rels.push("big.bin");
  return rels;
}

/** relative path -> "size sha256" for every file under dir (and "dir" for every directory, so empty ones count too). */
function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const buf = Buffer.alloc(4 * MiB);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join("/");
      if (e.isDirectory()) {
        out.set(rel, "dir");
        walk(p);
      } else {
        const h = crypto.createHash("sha256");
        const fd = fs.openSync(p, "r");
        let size = 0;
        for (let n: number; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; size += n) h.update(buf.subarray(0, n));
        fs.closeSync(fd);
        out.set(rel, `${size} ${h.digest("hex")}`);
      }
    }
  };
  walk(dir);
  return out;
}

function expectSameTree(restored: string, expected: Map<string, string>) {
  const actual = hashTree(restored);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  const differing = [...expected].filter(([rel, h]) => actual.get(rel) !== h).map(([rel]) => rel);
  expect(differing, "files whose size or SHA-256 differ after the restore").toEqual([]);
}

async function restic(args: string[], timeoutMs = 240_000): Promise<RunResult> {
  const started = Date.now();
  const r = await runClient(RESTIC!, ["-r", repo, ...args], {
    env: {
      AWS_ACCESS_KEY_ID: AK,
      AWS_SECRET_ACCESS_KEY: SK,
      RESTIC_PASSWORD: "correct horse battery staple",
      RESTIC_CACHE_DIR: path.join(tmp, "cache"),
    },
    cwd: tmp,
    timeoutMs,
  });
  timings.push(`${args.slice(0, 2).join(" ")} ${since(started)}`);
  return r;
}

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  return expectOk(await p, server?.log() ?? "");
}

async function snapshots(): Promise<{ id: string; paths: string[] }[]> {
  return JSON.parse((await ok(restic(["snapshots", "--json"]))).stdout);
}

/** "Files: N new, N changed, N unmodified" of a backup's summary. */
function backupCounts(r: RunResult) {
  const m = r.stdout.match(/Files:\s+(\d+) new,\s+(\d+) changed,\s+(\d+) unmodified/);
  expect(m, `backup summary in:\n${r.stdout}`).not.toBeNull();
  return { new: Number(m![1]), changed: Number(m![2]), unmodified: Number(m![3]) };
}

beforeAll(async () => {
  if (SKIP_CLIENTS || !RESTIC) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "restic-test-"));
  const started = Date.now();
  server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state"), readyTimeoutMs: 120_000 });
  timings.push(`server start ${since(started)}`);
  repo = `s3:${server.endpoint}/restic-${crypto.randomBytes(3).toString("hex")}`;
}, 180_000);

afterAll(async () => {
  if (timings.length) console.log(`[restic.test] ${timings.join(", ")}`);
  await server?.stop();
  if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

clientDescribe(
  "restic",
  RESTIC,
  () => {
    let files: string[] = [];
    let firstTree = new Map<string, string>();

    it("init creates the repository (and its bucket)", async () => {
      const r = await ok(restic(["init"]));
      expect(r.stdout).toMatch(/created restic repository [0-9a-f]+ at s3:/);
      // A second init finds the config object and refuses.
      const again = await restic(["init"]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/already (exists|initialized)/i);
      expect(await snapshots()).toEqual([]);
    }, 120_000);

    it(`backs up ${SMALL_FILES} small files and a 200 MiB file, check --read-data, restores byte for byte`, async () => {
      const started = Date.now();
      files = makeSourceTree(path.join(tmp, "data"), "restic-test");
      firstTree = hashTree(path.join(tmp, "data"));
      timings.push(`generate+hash ${since(started)}`);
      const r = await ok(restic(["backup", "data"]));
      expect(backupCounts(r)).toEqual({ new: files.length, changed: 0, unmodified: 0 });
      const snaps = await snapshots();
      expect(snaps).toHaveLength(1);
      expect(snaps[0].paths).toEqual([path.join(tmp, "data")]);

      const check = await ok(restic(["check", "--read-data"]));
      expect(check.stdout).toMatch(/no errors were found/);

      await ok(restic(["restore", "latest", "--target", "restore1"]));
      expectSameTree(path.join(tmp, "restore1/data"), firstTree);
    }, 300_000);

    it("a second snapshot after changes, forget --keep-last 1 --prune, check, and the latest still restores", async () => {
      const data = path.join(tmp, "data");
      const bytes = seededStream("restic-test-changes");
      // Rewrite 20 small files, delete 10, add 5 in a new directory, and overwrite 3 MiB in the middle of the big file.
      for (const rel of files.slice(0, 20)) fs.writeFileSync(path.join(data, rel), bytes(1000 + rel.length * 37));
      for (const rel of files.slice(100, 110)) fs.rmSync(path.join(data, rel));
      fs.mkdirSync(path.join(data, "added"));
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(data, `added/n${i}.bin`), bytes(3000 * i));
      const fd = fs.openSync(path.join(data, "big.bin"), "r+");
      fs.writeSync(fd, bytes(3 * MiB), 0, 3 * MiB, 50 * MiB);
      fs.closeSync(fd);
      const secondTree = hashTree(data);
      expect(secondTree).not.toEqual(firstTree);

      const r = await ok(restic(["backup", "data"]));
      expect(backupCounts(r)).toEqual({ new: 5, changed: 21, unmodified: files.length - 21 - 10 });
      const before = await snapshots();
      expect(before).toHaveLength(2);

      const prune = await ok(restic(["forget", "--keep-last", "1", "--prune"]));
      // The first snapshot's own data (20 old small files, 10 deleted ones, 3 MiB of the big file) gets deleted.
      expect(prune.stdout).toMatch(/remove 1 snapshots/);
      expect(prune.stdout).toMatch(/this removes:?\s+\d+ blobs/);
      const after = await snapshots();
      expect(after.map((s) => s.id)).toEqual([before[1].id]);

      const check = await ok(restic(["check"]));
      expect(check.stdout).toMatch(/no errors were found/);

      await ok(restic(["restore", "latest", "--target", "restore2"]));
      expectSameTree(path.join(tmp, "restore2/data"), secondTree);
    }, 300_000);
  },
  { installHint: "apt-get install -y restic", tag: "restic.test" },
);
