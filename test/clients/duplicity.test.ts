// duplicity (Debian 0.8.22, `boto3+s3://` backend: boto3's resource API and transfer manager) against
// `npm start`, at its defaults: the only settings are the ones a user needs for a non-AWS endpoint
// (`--s3-endpoint-url`, the key pair in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and PASSPHRASE for
// duplicity's default symmetric GPG encryption. No region: boto3 signs for us-east-1, which the Worker takes.
//
// A full backup of a few hundred small files plus one 26 MiB file (its encrypted volume crosses
// duplicity's 25 MiB multipart chunk, so the transfer manager uploads it in parallel parts; restore
// downloads it with ranged GETs above boto3's 8 MiB threshold), an incremental backup after edits,
// deletions and additions, a restore on a "new machine" (fresh HOME, so an empty archive cache and every
// byte fetched from the bucket), compared byte for byte, and `verify --compare-data`, which must also
// notice a changed file. HOME, GNUPGHOME (duplicity's gpg-agent, stopped in afterAll) and the cache
// live in a temp dir. SOS_KEEP_TMP=1 keeps it.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, expect, it } from "vitest";
import { clientDescribe, expectFail, expectOk, runClient, startLocalServer, type LocalServer, type RunResult } from "./local-server";

const KEEP = process.env.SOS_KEEP_TMP === "1";
const DUPLICITY = fs.existsSync("/usr/bin/duplicity") ? "/usr/bin/duplicity" : undefined;
const AK = "EXODUPLICITYTEST00000001";
const SK = "duplicity-test-secret-000000000000000000";
const PASSPHRASE = "correct horse battery staple";
const MiB = 1024 * 1024;

/** n pseudo-random bytes, the same for the same seed (AES-256-CTR of zeros under sha256(seed)). */
const seeded = (seed: string, n: number) =>
  crypto.createCipheriv("aes-256-ctr", crypto.createHash("sha256").update(seed).digest(), Buffer.alloc(16)).update(Buffer.alloc(n));

/** Relative path -> sha256 of every regular file under dir (and "dir/" for each directory). */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    if (e.isDirectory()) out.set(rel + "/", "dir");
    else
      out.set(
        rel,
        crypto
          .createHash("sha256")
          .update(fs.readFileSync(path.join(dir, rel)))
          .digest("hex"),
      );
  }
  return out;
}

let tmp = "";
let server: LocalServer | undefined;

clientDescribe(
  "duplicity",
  DUPLICITY,
  () => {
    const bucket = `duplicity-${crypto.randomBytes(4).toString("hex")}`;
    const src = () => path.join(tmp, "src");
    const target = () => `boto3+s3://${bucket}/backups/home`;
    const log = () => server?.log() ?? "";
    const ok = async (p: Promise<RunResult>) => expectOk(await p, log());
    /** duplicity with HOME (and so its archive cache ~/.cache/duplicity and gpg's ~/.gnupg) under tmp/<home>. */
    const duplicity = (home: string, args: string[]) => {
      fs.mkdirSync(path.join(tmp, home), { recursive: true, mode: 0o700 });
      return runClient(DUPLICITY!, [...args, "--s3-endpoint-url", server!.endpoint], {
        cwd: tmp,
        timeoutMs: 90_000,
        env: { HOME: path.join(tmp, home), LANG: "C.UTF-8", PASSPHRASE, AWS_ACCESS_KEY_ID: AK, AWS_SECRET_ACCESS_KEY: SK },
      });
    };
    const stat = (out: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(out)?.[1]);

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-duplicity-"));
      server = await startLocalServer({ accessKeyId: AK, secretAccessKey: SK, stateDir: path.join(tmp, "state") });
      // duplicity does not create buckets (a missing one is fatal): the user makes it first, with any client.
      const res = await new AwsClient({ accessKeyId: AK, secretAccessKey: SK, service: "s3", region: "us-east-1" }).fetch(`${server.endpoint}/${bucket}`, {
        method: "PUT",
      });
      expect(res.status).toBe(200);
      // 300 small files in 10 directories (0-6 KiB, some empty) and one 26 MiB file.
      for (let i = 0; i < 300; i++) {
        const dir = path.join(src(), `d${i % 10}`, i % 3 ? "" : "deeper");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `f${i}.dat`), seeded(`small-${i}`, (i * 997) % 6000));
      }
      fs.writeFileSync(path.join(src(), "big.bin"), seeded("big", 26 * MiB + 123));
    }, 240_000);

    afterAll(async () => {
      await server?.stop();
      // duplicity's gpg starts a gpg-agent per GNUPGHOME; stop the ones this file started.
      for (const home of ["home", "newhome"]) {
        const gnupg = path.join(tmp, home, ".gnupg");
        if (fs.existsSync(gnupg)) await runClient("gpgconf", ["--homedir", gnupg, "--kill", "gpg-agent"], { timeoutMs: 10_000 });
      }
      if (tmp && !KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("full backup, incremental backup, restore on a new machine (byte for byte), verify", async () => {
      const full = await ok(duplicity("home", ["full", src(), target()]));
      expect(stat(full.stdout, "Errors"), full.stdout).toBe(0);
      expect(stat(full.stdout, "NewFiles")).toBe(tree(src()).size + 1); // + the source directory itself

      // The bucket holds the encrypted volume, manifest and signatures; the volume went up in parts.
      const s3 = new AwsClient({ accessKeyId: AK, secretAccessKey: SK, service: "s3", region: "us-east-1" });
      const listing = await (await s3.fetch(`${server!.endpoint}/${bucket}?list-type=2&prefix=backups/home/`)).text();
      const keys = [...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
      expect(keys.filter((k) => /duplicity-full\.\w+\.vol1\.difftar\.gpg$/.test(k))).toHaveLength(1);
      expect(keys.some((k) => /duplicity-full\.\w+\.manifest\.gpg$/.test(k))).toBe(true);
      expect(keys.some((k) => /duplicity-full-signatures\.\w+\.sigtar\.gpg$/.test(k))).toBe(true);
      const vol = await s3.fetch(`${server!.endpoint}/${bucket}/${keys.find((k) => k.includes(".vol1."))}`, { method: "HEAD" });
      expect(Number(vol.headers.get("content-length"))).toBeGreaterThan(26 * MiB);
      expect(vol.headers.get("etag")).toMatch(/^"[0-9a-f]{32}-2"$/); // 25 MiB + the rest

      // Edit 5 files, delete 4, add 3 (one in a new directory), append to the big file.
      for (const i of [1, 2, 4, 5, 7]) fs.writeFileSync(path.join(src(), `d${i % 10}`, `f${i}.dat`), seeded(`edited-${i}`, 2048));
      for (const i of [10, 11, 13, 14]) fs.rmSync(path.join(src(), `d${i % 10}`, `f${i}.dat`));
      fs.mkdirSync(path.join(src(), "new"));
      for (const name of ["new/a.txt", "new/b.txt", "d0/c.txt"]) fs.writeFileSync(path.join(src(), name), seeded(name, 3000));
      fs.appendFileSync(path.join(src(), "big.bin"), seeded("appended", 4096));
      const inc = await ok(duplicity("home", ["incremental", src(), target()]));
      expect(stat(inc.stdout, "Errors"), inc.stdout).toBe(0);
      expect(stat(inc.stdout, "NewFiles")).toBeGreaterThanOrEqual(4); // 3 files + 1 directory (duplicity also counts touched directories)
      expect(stat(inc.stdout, "DeletedFiles")).toBe(4);
      expect(stat(inc.stdout, "ChangedFiles")).toBe(6); // 5 edits + big.bin

      const status = await ok(duplicity("home", ["collection-status", target()]));
      expect(status.stdout).toMatch(/^\s*Full\s.*\s1$/m);
      expect(status.stdout).toMatch(/^\s*Incremental\s.*\s1$/m);

      // A fresh HOME: no archive cache, so duplicity lists the bucket and downloads manifests, signatures and volumes.
      const restored = path.join(tmp, "restored");
      await ok(duplicity("newhome", ["restore", target(), restored]));
      expect(tree(restored)).toEqual(tree(src()));

      const verify = await ok(duplicity("newhome", ["verify", "--compare-data", target(), src()]));
      expect(verify.stdout).toMatch(/Verify complete: \d+ files compared, 0 differences found/);
      // verify really compares: one changed byte in a source file is a difference (and exit code 1).
      const victim = path.join(src(), "d8", "f8.dat");
      const bytes = fs.readFileSync(victim);
      bytes[0] ^= 0xff;
      fs.writeFileSync(victim, bytes);
      const changed = expectFail(await duplicity("newhome", ["verify", "--compare-data", target(), src()]), log());
      expect(changed.stdout).toMatch(/1 difference found/);
    }, 180_000);
  },
  { wanted: "/usr/bin/duplicity", installHint: "apt-get install -y duplicity python3-boto3", tag: "duplicity.test" },
);
