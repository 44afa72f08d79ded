/**
 * The Cloudflare account side of a deployment, through wrangler commands only: what exists (D1
 * databases, R2 buckets, queues, the Worker's secret names) and creating what is missing.
 */
import { wrangler, wranglerFailed } from "./wrangler.mjs";

/** The JSON array a `--json` / `--format json` command printed (wrangler may print a line or two before it). */
function parseJson(stdout) {
  return JSON.parse(stdout.slice(stdout.search(/^\[/m)));
}

/** Every D1 database of the account: [{ uuid, name }]. */
export async function listDatabases(deploy) {
  const { stdout } = await wrangler(["d1", "list", "--json", "--config", deploy.configPath], { cwd: deploy.projectDir });
  return parseJson(stdout);
}

/** Creates the D1 database; returns its uuid. */
export async function createDatabase(deploy) {
  const { name, locationHint, jurisdiction } = deploy.database;
  const args = ["d1", "create", name, "--config", deploy.configPath];
  if (jurisdiction) args.push("--jurisdiction", jurisdiction);
  else if (locationHint) args.push("--location", locationHint);
  const { out } = await wrangler(args, { cwd: deploy.projectDir });
  // wrangler prints the config snippet to add, database_id included; listing again costs another start.
  const id = /database_id = "([0-9a-f-]{36})"/.exec(out)?.[1];
  return id ?? (await listDatabases(deploy)).find((d) => d.name === name)?.uuid;
}

/** Names of the account's R2 buckets in each jurisdiction the deployment uses: Map(jurisdiction|"" -> Set). */
export async function listBuckets(deploy) {
  const jurisdictions = [...new Set(deploy.buckets.map((b) => b.jurisdiction ?? ""))];
  const lists = await Promise.all(
    jurisdictions.map(async (j) => {
      const { out } = await wrangler(["r2", "bucket", "list", ...(j ? ["--jurisdiction", j] : []), "--config", deploy.configPath], { cwd: deploy.projectDir });
      return [j, new Set([...out.matchAll(/^name:\s+(\S+)/gm)].map((m) => m[1]))];
    }),
  );
  return new Map(lists);
}

export async function createBucket(deploy, bucket) {
  const args = ["r2", "bucket", "create", bucket.name, "--config", deploy.configPath];
  if (bucket.locationHint) args.push("--location", bucket.locationHint);
  if (bucket.jurisdiction) args.push("--jurisdiction", bucket.jurisdiction);
  await wrangler(args, { cwd: deploy.projectDir });
}

/** Names of the account's queues (only asked when the Worker binds queues). */
export async function listQueues(deploy) {
  if (deploy.queues.length === 0) return new Set();
  const { out } = await wrangler(["queues", "list", "--config", deploy.configPath], { cwd: deploy.projectDir });
  // A table: one row per queue, the name in the second column ("│ id │ name │ ...").
  return new Set(
    out
      .split("\n")
      .map((l) => l.split("│").map((c) => c.trim())[2])
      .filter(Boolean),
  );
}

export async function createQueue(deploy, name) {
  await wrangler(["queues", "create", name, "--config", deploy.configPath], { cwd: deploy.projectDir });
}

/** Names of the Worker's secrets, or null when the Worker does not exist yet. */
export async function listSecretNames(deploy) {
  const args = ["secret", "list", "--format", "json", "--config", deploy.configPath];
  const r = await wrangler(args, { cwd: deploy.projectDir, allowFailure: true });
  if (r.code !== 0) {
    if (/Worker "[^"]+".* not found/.test(r.out)) return null;
    throw wranglerFailed(args, r.code, r.out);
  }
  return new Set(parseJson(r.stdout).map((s) => s.name));
}

/** `d1 migrations apply --remote`; returns the names of the migrations it applied. */
export async function applyMigrations(deploy) {
  const { out } = await wrangler(["d1", "migrations", "apply", deploy.database.binding, "--remote", "--config", deploy.configPath], { cwd: deploy.projectDir });
  if (/No migrations to apply/.test(out)) return [];
  return [...new Set([...out.matchAll(/\b(\d{4}_[\w-]+\.sql)\b/g)].map((m) => m[1]))];
}

/** `wrangler deploy` with the secrets to add; returns the URLs and routes wrangler deployed to. */
export async function deployWorker(deploy, secretsFile, extraArgs) {
  const { out } = await wrangler(["deploy", "--secrets-file", secretsFile, "--config", deploy.configPath, ...extraArgs], { cwd: deploy.projectDir });
  const triggers = out.slice(out.search(/Deployed .* triggers/));
  const targets = [...triggers.matchAll(/^\s{2}(\S.*)$/gm)].map((m) => m[1].trim()).filter((t) => !t.startsWith("schedule:"));
  const startupMs = /Worker Startup Time: (\d+) ms/.exec(out)?.[1];
  return { targets, versionId: /Current Version ID: (\S+)/.exec(out)?.[1], startupMs: startupMs && Number(startupMs) };
}

/** How many access keys D1 stores (their secrets are encrypted under SOS_MASTER_KEY). */
export async function countStoredAccessKeys(deploy) {
  const sql = "SELECT COUNT(*) AS n FROM access_keys";
  const { stdout } = await wrangler(["d1", "execute", deploy.database.binding, "--remote", "--json", "--command", sql, "--config", deploy.configPath], {
    cwd: deploy.projectDir,
  });
  return parseJson(stdout)[0].results[0].n;
}
