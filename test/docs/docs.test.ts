// Runs every command and config in README.md and docs/*.md against a fresh local server (one per
// Markdown file, fences in order), so the docs cannot drift from the code. The conventions for writing
// fences are in extract.ts and docs/development.md. A failed fence reports file:line, the fence, its
// output and the server's log. SOS_SKIP_CLIENTS=1 or SOS_SKIP_DOCS=1 skips this file; a missing
// client (awscli, rclone, s3cmd) skips it with a warning unless SOS_REQUIRE_CLIENTS=1.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REQUIRE_CLIENTS, ROOT, SKIP_CLIENTS, runClient, serverTail, startLocalServer, type LocalServer } from "../clients/local-server";
import { DocsTestSyntaxError, extractFences, fillPlaceholders, type Fence, type PlaceholderValues } from "./extract";

const KEEP = process.env.SOS_KEEP_TMP === "1";
const CLIENTS = ["/usr/bin/aws", "/usr/bin/python3", "rclone", "s3cmd", "jq", "curl", "openssl", "restic", "duplicity", "gpgconf"];
const FENCE_TIMEOUT_MS = 120_000;

function onPath(bin: string): boolean {
  if (bin.includes("/")) return fs.existsSync(bin);
  return (process.env.PATH ?? "").split(":").some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** README.md and every docs/*.md, found when the test starts (pages added later are picked up). */
function markdownFiles(): string[] {
  const docs = fs.existsSync(path.join(ROOT, "docs"))
    ? fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .sort()
    : [];
  return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

// ---------------------------------------------------------------- the extractor's own rules
describe("docs fence extractor", () => {
  it("runs sh/python/js fences, writes file= fences, skips with a reason, ignores prose", () => {
    const md = [
      "```sh",
      "echo run",
      "```",
      "<!-- docs-test: skip (needs an account) -->",
      "```sh",
      "wrangler deploy",
      "```",
      "<!-- docs-test: file=~/.aws/config -->",
      "```ini",
      "[profile sos]",
      "```",
      "```json",
      "{}",
      "```",
      "```python",
      "print(1)",
      "```",
    ].join("\n");
    const f = extractFences(md, "x.md");
    expect(f.map((x) => [x.line, x.action])).toEqual([
      [1, { kind: "run", runner: "bash" }],
      [5, { kind: "skip", reason: "needs an account" }],
      [9, { kind: "file", path: "~/.aws/config" }],
      [12, { kind: "prose" }],
      [15, { kind: "run", runner: "python" }],
    ]);
    expect(f[0].body).toBe("echo run\n");
  });

  it("refuses a config fence without a directive, a skip without a reason, and a stray directive", () => {
    expect(() => extractFences("```ini\n[x]\n```\n", "a.md")).toThrow(/a\.md:1: a ```ini fence needs/);
    expect(() => extractFences("<!-- docs-test: skip -->\n```sh\nx\n```\n", "b.md")).toThrow(DocsTestSyntaxError);
    expect(() => extractFences("<!-- docs-test: skip (why) -->\n\ntext\n", "c.md")).toThrow(/c\.md:1: .*directly above a fence/);
  });

  it("fills the documented placeholders", () => {
    const v: PlaceholderValues = { endpoint: "http://127.0.0.1:4000", accessKeyId: "EXOabc", secretAccessKey: "s3cr3t", adminToken: "tok" };
    expect(
      fillPlaceholders("endpoint = http://127.0.0.1:8787\nhost_base = 127.0.0.1:8787\nid = EXO...\nsecret = YOUR_SECRET_KEY\nt=YOUR_ADMIN_TOKEN\n...spread", v),
    ).toBe("endpoint = http://127.0.0.1:4000\nhost_base = 127.0.0.1:4000\nid = EXOabc\nsecret = s3cr3t\nt=tok\n...spread");
  });
});

// ---------------------------------------------------------------- the pages
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence;
    const h = !inFence && /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (h)
      slugs.add(
        h[1]
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, "")
          .replace(/\s/g, "-"),
      );
  }
  return slugs;
}

describe("docs links", () => {
  it("every relative link in README.md and docs/*.md points at an existing file", () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = fs.readFileSync(path.join(ROOT, file), "utf8");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const [target, anchor] = m[1].split("#");
        if (/^[a-z]+:/i.test(target)) continue;
        const rel = target ? path.normalize(path.join(path.dirname(file), target)) : file;
        if (fs.existsSync(path.join(ROOT, rel))) {
          if (anchor && rel.endsWith(".md") && !headingSlugs(fs.readFileSync(path.join(ROOT, rel), "utf8")).has(anchor))
            broken.push(`${file}: ${m[1]} (no such heading)`);
          continue;
        }
        broken.push(`${file}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

const missing = CLIENTS.filter((c) => !onPath(c));
if (onPath("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", "import boto3"]).status !== 0) missing.push("boto3 for /usr/bin/python3");
const skipAll = SKIP_CLIENTS || process.env.SOS_SKIP_DOCS === "1" || (missing.length > 0 && !REQUIRE_CLIENTS);
if (missing.length && !skipAll) throw new Error(`docs.test needs ${missing.join(", ")} (SOS_REQUIRE_CLIENTS=1)`);
if (missing.length && !SKIP_CLIENTS)
  console.warn(`[docs.test] skipping the snippets: ${missing.join(", ")} not found (apt-get install -y awscli rclone s3cmd python3-boto3 jq)`);

interface FileContext {
  tmp: string;
  server: LocalServer;
  values: PlaceholderValues;
  env: Record<string, string>;
  home: string;
  work: string;
  scripts: string;
}

/** A fresh server and fresh directories for one Markdown file. */
async function prepare(): Promise<FileContext> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sos-docs-"));
  for (const d of ["home", "work", "scripts", "bin", "node_modules/.bin"]) fs.mkdirSync(path.join(tmp, d), { recursive: true });
  linkTools(tmp);
  const values: PlaceholderValues = {
    endpoint: "",
    accessKeyId: "EXO" + crypto.randomBytes(12).toString("hex").toUpperCase(),
    secretAccessKey: crypto.randomBytes(30).toString("base64url"),
    adminToken: crypto.randomBytes(32).toString("hex"),
  };
  let server: LocalServer;
  try {
    server = await startLocalServer({ ...values, stateDir: path.join(tmp, "state"), logLevel: "warn" });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  values.endpoint = server.endpoint;
  const home = path.join(tmp, "home");
  const env = {
    HOME: home,
    PATH: `${path.join(tmp, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    SOS_ENDPOINT: server.endpoint,
    AWS_ACCESS_KEY_ID: values.accessKeyId,
    AWS_SECRET_ACCESS_KEY: values.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    SOS_ADMIN_TOKEN: values.adminToken,
    AWS_PAGER: "",
  };
  return { tmp, server, values, env, home, work: path.join(tmp, "work"), scripts: path.join(tmp, "scripts") };
}

async function release(ctx: FileContext) {
  await ctx.server.stop();
  if (!KEEP) fs.rmSync(ctx.tmp, { recursive: true, force: true });
  else console.warn(`[docs.test] kept ${ctx.tmp}`);
}

// ---------------------------------------------------------------- running the pages
// Pages run in a small pool (SOS_DOCS_CONCURRENCY, default 2), each on its own server with its fences
// in order; each fence is still its own test, which waits for its outcome. Much of a fence's time is
// spent waiting (client start-up, the server), so two pages at a time overlap those waits.
// SOS_DOCS_PAGES=clients.md,README.md runs only those pages.
const CONCURRENCY = Math.max(1, Number(process.env.SOS_DOCS_CONCURRENCY ?? 2));
const ONLY = (process.env.SOS_DOCS_PAGES ?? "")
  .split(",")
  .map((x) => x.trim())
  .filter(Boolean);

const parsed = markdownFiles()
  .filter((file) => ONLY.length === 0 || ONLY.some((o) => file === o || file === `docs/${o}`))
  .map((file) => {
    try {
      return { file, fences: extractFences(fs.readFileSync(path.join(ROOT, file), "utf8"), file) };
    } catch (e) {
      return { file, fences: [] as Fence[], syntaxError: e as Error };
    }
  });
const isActive = (f: Fence) => f.action.kind === "run" || f.action.kind === "file";

type Outcome = { ok: true } | { ok: false; message: string };
const outcomes = new Map<Fence, { promise: Promise<Outcome>; settle: (o: Outcome) => void }>();
for (const p of parsed) {
  for (const f of p.fences.filter(isActive)) {
    let settle!: (o: Outcome) => void;
    const promise = new Promise<Outcome>((r) => (settle = r));
    outcomes.set(f, { promise, settle });
  }
}

// Servers start one at a time: two `wrangler dev` starting at the same instant race for the same
// inspector port, and a start is CPU-heavy anyway. Fences of different pages do run side by side.
let lastStart: Promise<unknown> = Promise.resolve();
function prepareInTurn(): Promise<FileContext> {
  const next = lastStart.then(prepare, prepare);
  lastStart = next.catch(() => {});
  return next;
}

/** One page: a fresh server, then its fences in order. Never rejects; every fence gets an outcome. */
async function runPage(file: string, fences: Fence[]) {
  const active = fences.filter(isActive);
  let ctx: FileContext;
  try {
    ctx = await prepareInTurn();
  } catch (e) {
    for (const f of active) outcomes.get(f)!.settle({ ok: false, message: `${file}: the local server did not start: ${(e as Error).message}` });
    return;
  }
  try {
    for (const f of active) outcomes.get(f)!.settle(await runFence(ctx, file, f));
  } finally {
    await release(ctx);
  }
}

let pool: Promise<void> | undefined;
/** Starts the pool on the first request; pages are taken in order. */
function startPool(): Promise<void> {
  pool ??= (async () => {
    const queue = parsed.filter((p) => p.fences.some(isActive));
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await runPage(p.file, p.fences);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  })();
  return pool;
}
afterAll(async () => {
  await pool; // servers are stopped by the pages themselves
}, 600_000);

async function runFence(c: FileContext, file: string, fence: Fence): Promise<Outcome> {
  const a = fence.action;
  const text = fillPlaceholders(fence.body, c.values);
  if (a.kind === "file") {
    const target = a.path.startsWith("~/") ? path.join(c.home, a.path.slice(2)) : path.resolve(c.work, a.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    return { ok: true };
  }
  if (a.kind !== "run") return { ok: true };
  const { cmd, script } = runnerFor(a.runner, c.scripts, fence.line, text);
  const r = await runClient(cmd, [script], { env: c.env, cwd: a.inRepo ? ROOT : c.work, timeoutMs: FENCE_TIMEOUT_MS });
  if (r.code === 0) return { ok: true };
  return {
    ok: false,
    message: [
      `${file}:${fence.line}: the ${fence.lang} fence failed (exit ${r.code ?? r.signal})`,
      `--- fence (placeholders filled) ---\n${text.trimEnd()}`,
      `--- stdout ---\n${r.stdout.trim().slice(-3000) || "(empty)"}`,
      `--- stderr ---\n${r.stderr.trim().slice(-3000) || "(empty)"}`,
      `--- server output (tail) ---\n${serverTail(c.server.log())}`,
    ].join("\n"),
  };
}

for (const { file, fences, syntaxError } of parsed) {
  if (!syntaxError && fences.every((f) => f.action.kind === "prose")) continue; // nothing to run or skip
  (skipAll ? describe.skip : describe)(`docs snippets: ${file}`, () => {
    if (syntaxError) {
      it("has well-formed docs-test directives", () => {
        throw syntaxError;
      });
      return;
    }
    for (const fence of fences) {
      const name = `${file}:${fence.line} ${fence.lang || "(no language)"}`;
      const a = fence.action;
      if (a.kind === "prose") continue;
      if (a.kind === "skip") {
        it.skip(`${name} (skipped: ${a.reason})`, () => {});
        continue;
      }
      // Waits for the pool to reach this fence: the timeout covers the pages queued before it.
      it(a.kind === "file" ? `${name} -> ${a.path}` : name, async () => {
        void startPool();
        const o = await outcomes.get(fence)!.promise;
        if (!o.ok) throw new Error(o.message);
      }, 600_000);
    }
  });
}

/** Writes the fence to a script file and says how to run it. */
function runnerFor(runner: "bash" | "python" | "node", dir: string, line: number, text: string): { cmd: string; script: string } {
  const ext = { bash: "sh", python: "py", node: "mjs" }[runner];
  const script = path.join(dir, `line-${line}.${ext}`);
  fs.writeFileSync(script, runner === "bash" ? `set -euo pipefail\n${text}` : text);
  return { cmd: { bash: "bash", python: "/usr/bin/python3", node: process.execPath }[runner], script };
}

/**
 * The tools a reader of the docs has: `aws` = awscli v2 (/usr/bin/aws, not a pyenv awscli v1 shim),
 * `python3` with boto3 (/usr/bin/python3), this `node`, and the repository's packages and bins
 * (`npx sos-admin`, `@aws-sdk/client-s3`) resolvable from the temp directory as from a checkout.
 */
function linkTools(tmp: string) {
  const bin = path.join(tmp, "bin");
  fs.symlinkSync("/usr/bin/aws", path.join(bin, "aws"));
  fs.symlinkSync("/usr/bin/python3", path.join(bin, "python3"));
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  const nm = path.join(ROOT, "node_modules");
  for (const entry of fs.readdirSync(nm)) {
    if (entry !== ".bin") fs.symlinkSync(path.join(nm, entry), path.join(tmp, "node_modules", entry));
  }
  for (const b of fs.readdirSync(path.join(nm, ".bin"))) fs.symlinkSync(path.join(nm, ".bin", b), path.join(tmp, "node_modules/.bin", b));
  const own = path.join(tmp, "node_modules/.bin/sos-admin");
  if (!fs.existsSync(own)) fs.symlinkSync(path.join(ROOT, "bin/sos-admin.mjs"), own);
}
