// `npm run deploy` end to end without a Cloudflare account: the real scripts/deploy.mjs drives the real
// wrangler CLI against the recording API stand-in (test/support/cloudflare-api.ts), on a copy of the
// repository's wrangler.toml. Run twice in a row: the first run creates everything, the second nothing.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudflareApiStandIn, type RecordedCall } from "../support/cloudflare-api";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const SECRET_NAMES = ["SOS_ROOT_ACCESS_KEY", "SOS_ROOT_SECRET_KEY", "SOS_ADMIN_TOKEN", "SOS_MASTER_KEY"];
const MIGRATIONS = fs
  .readdirSync(path.join(ROOT, "migrations"))
  .filter((f) => f.endsWith(".sql"))
  .sort();

let api: CloudflareApiStandIn;
let dir: string;
let configPath: string;
let env: NodeJS.ProcessEnv;

/** Runs scripts/deploy.mjs with `args`; returns its stdout and the API calls it caused. */
async function deploy(...args: string[]): Promise<{ out: string; calls: RecordedCall[] }> {
  const before = api.calls.length;
  const { stdout } = await run(process.execPath, [path.join(ROOT, "scripts/deploy.mjs"), "--config", configPath, ...args], { cwd: dir, env });
  return { out: stdout, calls: api.calls.slice(before) };
}

/** A deploy run starts one wrangler process per step (zone buckets, replicas, the queue, ...): slow on a busy machine. */
const DEPLOY_TIMEOUT_MS = 180_000;

const writes = (calls: RecordedCall[]) => calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path.replace(`/accounts/${api.accountId}`, "")}`);

beforeAll(async () => {
  api = new CloudflareApiStandIn();
  const baseUrl = await api.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));
  // The repository's own configuration, with paths made absolute so that it works from the copy.
  configPath = path.join(dir, "wrangler.toml");
  const toml = fs
    .readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")
    .replace(/^main = "src\/index.ts"/m, `main = "${ROOT}/src/index.ts"`)
    .replace(/^migrations_dir = "migrations"/m, `migrations_dir = "${ROOT}/migrations"`)
    .replace(/^directory = "portal\/dist"/m, `directory = "${ROOT}/portal/dist"`);
  expect(toml).toContain(`directory = "${ROOT}/portal/dist"`);
  fs.writeFileSync(configPath, toml);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CLOUDFLARE_") && !k.startsWith("WRANGLER_")));
  env = {
    ...clean,
    CLOUDFLARE_API_BASE_URL: baseUrl,
    CLOUDFLARE_API_TOKEN: "stand-in-token",
    CLOUDFLARE_ACCOUNT_ID: api.accountId,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: path.join(dir, "wrangler-logs"),
    WRANGLER_REGISTRY_PATH: path.join(dir, "wrangler-registry"),
    HOME: dir, // no stored `wrangler login` session can leak in
    CI: "true",
  };
});

afterAll(async () => {
  await api?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("npm run deploy against the Cloudflare API stand-in", () => {
  let first: { out: string; calls: RecordedCall[] };
  let secretsAfterFirst: Map<string, string>;
  let tomlAfterFirst: string;

  it("--dry-run builds and sizes the bundle and prints the plan without calling the API", async () => {
    const { out, calls } = await deploy("--dry-run");
    expect(calls).toEqual([]);
    expect(out).toMatch(/bundle: index\.js: [\d.]+ KiB, [\d.]+ KiB gzip/);
    expect(out).toMatch(/of the Free plan's 3072\.0 KiB, [\d.]+% of the Paid plan's 10240\.0 KiB/);
    expect(out).toContain("D1 database   sos-worker-meta (binding DB, location weur)");
    expect(out).toContain("R2 bucket     sos-ch-gva-2 (zone ch-gva-2, binding R2_CH_GVA_2, location weur)");
    expect(out).toContain("R2 bucket     sos-de-fra-1 (zone de-fra-1, binding R2_DE_FRA_1, location weur)");
    // Each zone's replica, in its own location (SOS_REPLICA_LOCATION_HINTS), and the job queue.
    expect(out).toContain("R2 bucket     sos-ch-gva-2-replica (replica of zone ch-gva-2, binding R2_CH_GVA_2_REPLICA, location eeur)");
    expect(out).toContain("R2 bucket     sos-de-fra-1-replica (replica of zone de-fra-1, binding R2_DE_FRA_1_REPLICA, location eeur)");
    expect(out).toContain("queue         sos-worker-jobs");
    // The portal is built and part of the plan, as the Worker's static assets.
    expect(out).toMatch(/portal: 4 files, [\d.]+ KiB, [\d.]+ KiB gzip \(static assets at \/_portal\/\)/);
    expect(out).toContain(`Worker        sos-worker with static assets from ${ROOT}/portal/dist`);
    expect(out).toContain("portal        static assets at /_portal/");
    expect(api.databases.size + api.buckets.size + api.scripts.size).toBe(0);
  });

  it(
    "a first run creates the database, the buckets and the secrets, migrates and uploads the Worker",
    async () => {
      first = await deploy();
      const w = writes(first.calls);
      expect(w.filter((c) => c === "POST /d1/database")).toHaveLength(1);
      expect(w.filter((c) => c === "POST /r2/buckets")).toHaveLength(4);
      expect(w.filter((c) => c === "POST /queues")).toHaveLength(1);
      expect([...api.queues.keys()]).toEqual(["sos-worker-jobs"]);
      // The Worker consumes its own job queue, with wrangler.toml's batch settings.
      expect(api.queues.get("sos-worker-jobs")!.consumers).toMatchObject([
        { script: "sos-worker", settings: { batch_size: 10, max_retries: 20, max_wait_time_ms: 1000 } },
      ]);
      expect(w.filter((c) => c === "PUT /workers/scripts/sos-worker")).toHaveLength(1);

      const [db] = [...api.databases.values()];
      expect(db).toMatchObject({ name: "sos-worker-meta", primary_location_hint: "weur" });
      expect([...api.buckets.values()].map((b) => [b.name, b.location]).sort()).toEqual([
        ["sos-ch-gva-2", "weur"],
        ["sos-ch-gva-2-replica", "eeur"],
        ["sos-de-fra-1", "weur"],
        ["sos-de-fra-1-replica", "eeur"],
      ]);
      // The id is recorded in wrangler.toml (comments kept), so later `wrangler d1 ... --remote` commands work.
      tomlAfterFirst = fs.readFileSync(configPath, "utf8");
      expect(tomlAfterFirst).toContain(`database_name = "sos-worker-meta"\ndatabase_id = "${db.uuid}"`);
      expect(tomlAfterFirst).toContain("# Zones this deployment serves");

      // Remote migrations really ran (on the stand-in's real D1).
      // biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
      expect((await api.query("SELECT name FROM d1_migrations ORDER BY id")).map((r: any) => r.name)).toEqual(MIGRATIONS);
      expect(await api.query("SELECT name FROM sqlite_master WHERE name = 'buckets'")).toHaveLength(1);

      // Secrets travel in the upload, each generated once; root key and admin token are shown once, the master key never.
      const script = api.scripts.get("sos-worker")!;
      expect([...script.secrets.keys()].sort()).toEqual([...SECRET_NAMES].sort());
      secretsAfterFirst = new Map(script.secrets);
      expect(first.out).toContain(`Root access key   ${script.secrets.get("SOS_ROOT_ACCESS_KEY")}`);
      expect(first.out).toContain(`Root secret key   ${script.secrets.get("SOS_ROOT_SECRET_KEY")}`);
      expect(first.out).toContain(`Admin token       ${script.secrets.get("SOS_ADMIN_TOKEN")}`);
      expect(first.out).not.toContain(script.secrets.get("SOS_MASTER_KEY"));
      expect(script.secrets.get("SOS_ROOT_ACCESS_KEY")).toMatch(/^EXO[A-Z0-9]{24}$/);
      expect(script.secrets.get("SOS_MASTER_KEY")).not.toBe(script.secrets.get("SOS_ADMIN_TOKEN"));
      expect(script.crons).toEqual(["*/10 * * * *"]);
      expect(first.out).toContain(`Endpoint: https://sos-worker.${api.subdomain}.workers.dev`);

      // The portal went up as static assets, the Worker's upload names them, and the CSP travels in _headers.
      const manifest = api.assetManifests.at(-1)!;
      expect(Object.keys(manifest).sort()).toEqual(["/_portal/app.css", "/_portal/app.js", "/_portal/config.json", "/_portal/index.html"]);
      const index = api.assets.get(manifest["/_portal/index.html"].hash)!.toString("utf8");
      expect(index).toBe(fs.readFileSync(path.join(ROOT, "portal/dist/_portal/index.html"), "utf8"));
      expect(index).toContain('<script type="module" src="app.js"></script>');
      const assets = api.uploads.at(-1)!.metadata.assets!;
      expect(assets.jwt).toMatch(/^completion-/);
      expect(assets.config?.run_worker_first).toBe(true);
      expect(assets.config?._headers).toMatch(/^\/_portal\/\*\n {2}Content-Security-Policy: default-src 'none'; script-src 'self';/m);
      expect(api.uploads.at(-1)!.metadata.bindings!.find((b) => b.name === "ASSETS")).toMatchObject({ type: "assets" });
    },
    DEPLOY_TIMEOUT_MS,
  );

  it(
    "a second run in a row creates nothing, applies no migration and changes no secret",
    async () => {
      const second = await deploy();
      const w = writes(second.calls);
      expect(w.filter((c) => /^POST \/(d1\/database|r2\/buckets|queues)$/.test(c))).toEqual([]);
      expect(w.filter((c) => c.includes("/secrets"))).toEqual([]);
      // Only the migrations table check and the list of applied migrations reach D1: no schema statement.
      const sql = second.calls.filter((c) => c.path.endsWith("/query")).map((c) => JSON.parse(c.body).sql as string);
      expect(sql).toHaveLength(2);
      expect(sql[0]).toMatch(/^CREATE TABLE IF NOT EXISTS d1_migrations/);
      expect(sql[1]).toMatch(/^SELECT \*\s+FROM d1_migrations/);
      // The new version's upload names no secret and keeps the existing ones.
      const upload = api.uploads.at(-1)!.metadata;
      expect(api.uploads).toHaveLength(2);
      expect(upload.bindings!.filter((b) => b.type === "secret_text")).toEqual([]);
      expect(upload.keep_bindings).toContain("secret_text");
      expect(api.scripts.get("sos-worker")!.secrets).toEqual(secretsAfterFirst);
      expect(api.databases.size).toBe(1);
      expect(api.buckets.size).toBe(4);
      expect(api.queues.size).toBe(1);
      expect(api.queues.get("sos-worker-jobs")!.consumers).toHaveLength(1);
      expect(fs.readFileSync(configPath, "utf8")).toBe(tomlAfterFirst);
      for (const value of secretsAfterFirst.values()) expect(second.out).not.toContain(value);
      expect(second.out).toContain("are set: unchanged");
      // Unchanged portal files are not uploaded again; the new version still names the assets.
      expect(second.calls.filter((c) => c.path.endsWith("/workers/assets/upload"))).toEqual([]);
      expect(upload.assets?.jwt).toMatch(/^completion-/);
    },
    DEPLOY_TIMEOUT_MS,
  );
});
