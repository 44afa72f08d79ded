#!/usr/bin/env node
// npm run deploy [-- --dry-run] [-- --config wrangler.toml]
//
// From `npx wrangler login` (or CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID) to a working endpoint,
// idempotently: makes the D1 database and one R2 bucket per zone (and queues) unless they exist,
// records the database_id in wrangler.toml, applies the remote D1 migrations, generates the secrets
// that are not set yet (never replacing one that is), deploys, and prints the endpoint. Re-running it
// creates nothing that exists and changes no secret. --dry-run works offline: it builds the exact
// bundle, checks its size against the Workers limits and prints the plan. The web portal is built
// first (scripts/build-portal.mjs) and ships as the Worker's static assets. docs/deployment.md has more.
import {
  applyMigrations,
  countStoredAccessKeys,
  createBucket,
  createDatabase,
  createQueue,
  deployWorker,
  listBuckets,
  listDatabases,
  listQueues,
  listSecretNames,
} from "./deploy/account.mjs";
import { buildPortal, PORTAL_PATH } from "./build-portal.mjs";
import { buildBundle, checkSize } from "./deploy/bundle.mjs";
import { baseDomainArgs, readDeployConfig, recordDatabaseId, routedHosts } from "./deploy/config.mjs";
import { SECRET_NAMES, secretsToCreate, withSecretsFile } from "./deploy/secrets.mjs";
import { DeployError, indent } from "./deploy/wrangler.mjs";

const USAGE = `usage: npm run deploy [-- --dry-run] [-- --config PATH]
  --dry-run      build the bundle, check its size, print the plan; no Cloudflare account needed
  --config PATH  wrangler configuration (default wrangler.toml)`;

function parseArgs(argv) {
  const opts = { dryRun: false, config: "wrangler.toml" };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--dry-run") opts.dryRun = true;
    else if (argv[i] === "--config" && argv[i + 1]) opts.config = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(USAGE);
      return process.exit(0);
    } else throw new DeployError(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  return opts;
}

const log = (line = "") => console.log(line);
const step = (line) => log(`• ${line}`);

/** Builds the portal (it ships as static assets) and describes it in one line. */
async function portalStep() {
  const files = await buildPortal();
  const sum = (k) => files.reduce((n, f) => n + f[k], 0);
  return `portal: ${files.length} files, ${(sum("bytes") / 1024).toFixed(1)} KiB, ${(sum("gzipBytes") / 1024).toFixed(1)} KiB gzip (static assets at ${PORTAL_PATH})`;
}

function printPlan(deploy) {
  const { database: db } = deploy;
  log("Plan (each item is created only if it does not exist yet; nothing that exists is changed):");
  log(
    `  D1 database   ${db.name} (binding ${db.binding}${db.id ? `, database_id ${db.id}` : ""}${db.jurisdiction ? `, jurisdiction ${db.jurisdiction}` : db.locationHint ? `, location ${db.locationHint}` : ""})`,
  );
  for (const b of deploy.buckets) {
    log(
      `  R2 bucket     ${b.name} (${b.replica ? "replica of zone" : "zone"} ${b.zone}, binding ${b.binding}${b.locationHint ? `, location ${b.locationHint}` : ""}${b.jurisdiction ? `, jurisdiction ${b.jurisdiction}` : ""})`,
    );
  }
  for (const q of deploy.queues) log(`  queue         ${q}`);
  log(`  migrations    npx wrangler d1 migrations apply ${db.binding} --remote (those not applied yet)`);
  log(`  secrets       ${SECRET_NAMES.join(", ")} (generated only if not set)`);
  log(`  Worker        ${deploy.workerName}${deploy.assetsDirectory ? ` with static assets from ${deploy.assetsDirectory}` : ""}`);
  if (deploy.assetsDirectory) log(`  portal        static assets at ${PORTAL_PATH} on every endpoint (the web console; only files that changed are uploaded)`);
  const routes = [
    ...deploy.routes.map((r) => (typeof r === "string" ? r : r.pattern)),
    ...routedHosts(deploy).flatMap((host) => [`${host} (custom domain)`, `*.${host}/*`]),
  ];
  log(`  endpoints     ${[...(deploy.workersDev ? [`https://${deploy.workerName}.<your subdomain>.workers.dev`] : []), ...routes].join(", ")}`);
}

/** Finds or creates the D1 database and records its id in wrangler.toml; returns whether it was created. */
async function ensureDatabase(deploy, databases) {
  const { database: db } = deploy;
  const found = databases.find((d) => d.name === db.name);
  if (db.id && found && found.uuid !== db.id) {
    throw new DeployError(`wrangler.toml has database_id ${db.id} for ${db.name}, but the account's ${db.name} is ${found.uuid}.`);
  }
  if (db.id && !found) {
    throw new DeployError(
      `wrangler.toml has database_id ${db.id}, but the account has no D1 database named ${db.name}: remove the database_id line to create it.`,
    );
  }
  let uuid = found?.uuid;
  if (found) step(`D1 database ${db.name} exists (${uuid})`);
  else {
    step(`creating D1 database ${db.name}${db.jurisdiction ? ` (jurisdiction ${db.jurisdiction})` : db.locationHint ? ` in ${db.locationHint}` : ""}`);
    uuid = await createDatabase(deploy);
    if (!uuid) throw new DeployError(`wrangler d1 create ${db.name} succeeded, but the database is not listed.`);
  }
  if (!db.id) {
    recordDatabaseId(deploy.configPath, db.binding, uuid);
    db.id = uuid;
    step(`recorded database_id ${uuid} in ${deploy.configPath} (commit it)`);
  }
  return !found;
}

async function ensureBuckets(deploy, existing) {
  const missing = deploy.buckets.filter((b) => !existing.get(b.jurisdiction ?? "")?.has(b.name));
  for (const b of deploy.buckets) if (!missing.includes(b)) step(`R2 bucket ${b.name} exists`);
  for (const b of missing)
    step(`creating R2 bucket ${b.name}${b.locationHint ? ` in ${b.locationHint}` : ""}${b.jurisdiction ? ` (jurisdiction ${b.jurisdiction})` : ""}`);
  await Promise.all(missing.map((b) => createBucket(deploy, b)));
}

async function ensureQueues(deploy, existing) {
  const missing = deploy.queues.filter((q) => !existing.has(q));
  for (const q of deploy.queues) step(missing.includes(q) ? `creating queue ${q}` : `queue ${q} exists`);
  await Promise.all(missing.map((q) => createQueue(deploy, q)));
}

function printCredentials(created) {
  if (!created.SOS_ROOT_ACCESS_KEY && !created.SOS_ADMIN_TOKEN) return;
  log();
  log("New credentials (shown this once; Cloudflare keeps them as Worker secrets and cannot show them again):");
  if (created.SOS_ROOT_ACCESS_KEY) {
    log(`  Root access key   ${created.SOS_ROOT_ACCESS_KEY}`);
    log(`  Root secret key   ${created.SOS_ROOT_SECRET_KEY}`);
  }
  if (created.SOS_ADMIN_TOKEN) log(`  Admin token       ${created.SOS_ADMIN_TOKEN}`);
  if (created.SOS_MASTER_KEY) log("  SOS_MASTER_KEY    set (not shown: it only encrypts stored secrets; never replace it)");
}

function printEndpoint(deploy, targets, created) {
  const urls = targets
    .map((t) => t.split(" ")[0])
    .map((t) => (t.startsWith("https://") ? t : t.includes("*") ? null : `https://${t}`))
    .filter(Boolean);
  const endpoint =
    (deploy.baseDomain && urls.find((u) => u === `https://${deploy.baseDomain}`)) || urls[0] || "(no public URL: add a route or set workers_dev = true)";
  log();
  log(`Endpoint: ${endpoint}${targets.length > 1 ? `   (all targets: ${targets.join(", ")})` : ""}`);
  log("Configure a client, for example:");
  log(
    `  export AWS_ACCESS_KEY_ID=${created.SOS_ROOT_ACCESS_KEY ?? "<root access key>"} AWS_SECRET_ACCESS_KEY=${created.SOS_ROOT_SECRET_KEY ? "<the root secret key above>" : "<root secret key>"} AWS_DEFAULT_REGION=${deploy.buckets[0].zone}`,
  );
  log(`  aws --endpoint-url ${endpoint} s3 mb s3://my-first-bucket`);
  log(`  SOS_ENDPOINT=${endpoint} SOS_ADMIN_TOKEN=<admin token> npx sos-admin user list`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const deploy = await readDeployConfig(opts.config);

  if (opts.dryRun) {
    log(`Dry run for Worker ${deploy.workerName} (${deploy.configPath}): nothing is sent to Cloudflare.`);
    if (deploy.assetsDirectory) step(await portalStep());
    for (const line of checkSize(await buildBundle(deploy))) step(line);
    log();
    printPlan(deploy);
    return;
  }

  log(`Deploying Worker ${deploy.workerName} from ${deploy.configPath}`);
  if (deploy.assetsDirectory) step(await portalStep());
  // What exists, in parallel: each wrangler start costs seconds.
  const [databases, buckets, queues, secretNames] = await Promise.all([
    listDatabases(deploy),
    listBuckets(deploy),
    listQueues(deploy),
    listSecretNames(deploy),
  ]);
  const [databaseCreated] = await Promise.all([ensureDatabase(deploy, databases), ensureBuckets(deploy, buckets), ensureQueues(deploy, queues)]);

  // Migrations before the new code goes live, so that it never runs on an older schema.
  const applied = await applyMigrations(deploy);
  step(applied.length ? `applied migrations ${applied.join(", ")}` : "migrations: the database is up to date");

  const existing = secretNames ?? new Set();
  // A new master key cannot read secrets stored under the old one: refuse rather than strand them.
  if (!existing.has("SOS_MASTER_KEY") && !databaseCreated && (await countStoredAccessKeys(deploy)) > 0) {
    throw new DeployError(
      "SOS_MASTER_KEY is not set, but D1 holds access keys encrypted under a master key: put the old key back with `npx wrangler secret put SOS_MASTER_KEY` (docs/deployment.md).",
    );
  }
  const created = secretsToCreate(existing);
  const names = Object.keys(created);
  step(names.length ? `setting new secrets ${names.join(", ")}` : `secrets ${SECRET_NAMES.join(", ")} are set: unchanged`);

  const { targets, startupMs } = await withSecretsFile(created, (file) => deployWorker(deploy, file, baseDomainArgs(deploy)));
  // Cloudflare measures the startup (global scope) time on upload; the limit is 1 s.
  step(`deployed ${deploy.workerName}${startupMs !== undefined ? ` (startup time ${startupMs} ms, as Cloudflare measured it; the limit is 1000 ms)` : ""}`);
  printCredentials(created);
  printEndpoint(deploy, targets, created);
}

main().catch((e) => {
  if (!(e instanceof DeployError)) throw e;
  console.error(`\nnpm run deploy failed:\n${indent(e.message, "  ")}`);
  process.exit(1);
});
