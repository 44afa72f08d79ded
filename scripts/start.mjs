#!/usr/bin/env node
// `npm start`: a local S3 endpoint with zero Cloudflare account.
//
//   node scripts/start.mjs [--port N] [--state-dir DIR] [--log-level L] [--wrangler [-- <wrangler dev args>]]
//
// What runs: the web portal build (scripts/build-portal.mjs, when stale), the Worker in workerd through Miniflare's API (scripts/local-worker.mjs) on an internal
// port, behind the HTTP front (scripts/front.mjs) on the public port, which answers
// `Expect: 100-continue` as the Cloudflare edge does and survives any request. With --wrangler
// (`npm run dev:wrangler`), `wrangler dev` replaces Miniflare behind the same front.
//
// Environment:
//   PORT                 listen port (default 8787); --port wins
//   SOS_STATE_DIR        local D1/R2 state (default .wrangler/state); --state-dir wins
//   SOS_LOG_LEVEL        log level (default "warn"; "info" logs one line per request)
//   SOS_ROOT_ACCESS_KEY, SOS_ROOT_SECRET_KEY, SOS_ADMIN_TOKEN, SOS_MASTER_KEY
//                        taken from the environment when set; otherwise generated once and kept in
//                        <state dir>/sos-dev-credentials.json so they survive restarts.
//
// The secrets reach the Worker as Miniflare bindings (in-process), or under --wrangler through a
// dotenv file inside the state dir (<state dir>/sos-dev.vars, mode 0600) passed to `wrangler dev
// --env-file`; nothing lands in the repository and nothing shows up in `ps`.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensurePortalBuilt, PORTAL_PATH } from "./build-portal.mjs";
import { SECRET_GENERATORS, SECRET_NAMES } from "./deploy/secrets.mjs";
import { startFront } from "./front.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CREDENTIALS_FILE = "sos-dev-credentials.json";
const ENV_FILE = "sos-dev.vars";
// Local-only overrides of wrangler.toml [vars]: the local server is plain HTTP, so SSE-C must be allowed over it.
const LOCAL_VARS = { SOS_REQUIRE_HTTPS_FOR_SSEC: "false" };
const LOG_LEVELS = ["debug", "info", "log", "warn", "error", "none"];
const HOST = "127.0.0.1";

function usage() {
  return `Usage: npm start [-- [--port N] [--state-dir DIR] [--log-level LEVEL] [--wrangler [-- WRANGLER_DEV_ARGS...]]]

Starts the sos-worker S3 endpoint locally (workerd with local D1/R2), no Cloudflare account needed.

Options:
  --port N           listen port (env PORT, default 8787)
  --state-dir DIR    local state directory (env SOS_STATE_DIR, default .wrangler/state)
  --log-level LEVEL  ${LOG_LEVELS.join("|")} (env SOS_LOG_LEVEL, default warn; info logs every request)
  --wrangler         run the Worker under "wrangler dev" instead of Miniflare (also: npm run dev:wrangler);
                     arguments after "--" go to "wrangler dev"
  -h, --help         this text

Credentials come from SOS_ROOT_ACCESS_KEY, SOS_ROOT_SECRET_KEY, SOS_ADMIN_TOKEN and SOS_MASTER_KEY
when set; otherwise they are generated once and stored in <state dir>/${CREDENTIALS_FILE}.`;
}

export function parseStartArgs(argv, env = process.env) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      "state-dir": { type: "string" },
      "persist-to": { type: "string" }, // wrangler's name for the same thing
      "log-level": { type: "string" },
      wrangler: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  const opts = {
    port: Number(values.port ?? env.PORT ?? 8787),
    stateDir: values["state-dir"] ?? values["persist-to"] ?? (env.SOS_STATE_DIR || ".wrangler/state"),
    logLevel: values["log-level"] ?? (env.SOS_LOG_LEVEL || "warn"),
    wrangler: values.wrangler,
    help: values.help,
    passthrough: positionals,
  };
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new Error(`invalid port: ${values.port ?? env.PORT}`);
  if (!LOG_LEVELS.includes(opts.logLevel)) throw new Error(`invalid log level: ${opts.logLevel} (one of ${LOG_LEVELS.join(", ")})`);
  if (opts.passthrough.length && !opts.wrangler)
    throw new Error(`unexpected arguments: ${opts.passthrough.join(" ")} (extra "wrangler dev" arguments need --wrangler)`);
  return opts;
}

/** Environment > stored file > freshly generated. Writes the effective values back to the file. */
export function loadCredentials(stateDir, env = process.env) {
  const file = path.join(stateDir, CREDENTIALS_FILE);
  let stored = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    if (e.code !== "ENOENT") throw new Error(`cannot read ${file}: ${e.message}`);
  }
  const creds = {};
  const source = {};
  for (const name of SECRET_NAMES) {
    if (env[name]) [creds[name], source[name]] = [env[name], "environment"];
    else if (typeof stored[name] === "string" && stored[name]) [creds[name], source[name]] = [stored[name], "stored"];
    else [creds[name], source[name]] = [SECRET_GENERATORS[name](), "generated"];
  }
  return { file, creds, source, stored };
}

function writePrivate(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600); // writeFileSync's mode only applies on creation
}

function dotenvQuote(v) {
  if (/[\r\n"\\]/.test(v)) throw new Error("secret values must not contain quotes, backslashes or newlines");
  return `"${v}"`;
}

function portIsFree(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function portAnswers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: "manual" });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function zonesFromWranglerToml() {
  try {
    const toml = fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
    const m = toml.match(/^\s*SOS_ZONES\s*=\s*"([^"]*)"/m);
    return m
      ? m[1]
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  } catch {
    return [];
  }
}

function childEnv() {
  return {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: process.env.WRANGLER_HIDE_BANNER ?? "true",
    // Never let the Worker's secrets leak in through wrangler's process.env inclusion.
    CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
  };
}

function run(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "pipe", "pipe"], ...opts });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, out }));
  });
}

function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen({ port: 0, host }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** `wrangler dev` on an internal port (--wrangler); resolves once it answers HTTP. */
async function startWranglerDev(opts, stateDir, creds) {
  const envFile = path.join(stateDir, ENV_FILE);
  writePrivate(
    envFile,
    "# written by scripts/start.mjs; local development secrets for wrangler dev --env-file\n" +
      SECRET_NAMES.map((n) => `${n}=${dotenvQuote(creds[n])}`).join("\n") +
      "\n" +
      Object.entries(LOCAL_VARS)
        .map(([n, v]) => `${n}=${dotenvQuote(v)}`)
        .join("\n") +
      "\n",
  );
  const port = await freePort(HOST);
  const devArgs = [
    "dev",
    "--ip",
    HOST,
    "--port",
    String(port),
    "--persist-to",
    stateDir,
    "--env-file",
    envFile,
    "--log-level",
    opts.logLevel,
    "--show-interactive-dev-session=false",
    ...opts.passthrough,
  ];
  // Same process group as us, so a terminal Ctrl-C or a group kill reaches wrangler and its workerd processes.
  const child = spawn(process.execPath, [WRANGLER, ...devArgs], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? `code ${code}`)));
  const url = `http://${HOST}:${port}`;
  const timeoutMs = Number(process.env.SOS_START_TIMEOUT_MS || 180_000);
  const deadline = Date.now() + timeoutMs;
  // With --log-level warn wrangler prints nothing, not even "Ready": poll the port.
  while (!(await portAnswers(`${url}/`))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`wrangler dev exited (${await exited})`);
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`wrangler dev did not answer within ${timeoutMs / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    exited,
    dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

async function startMiniflare(opts, stateDir, creds) {
  const { startLocalWorker } = await import("./local-worker.mjs");
  return startLocalWorker({ root: ROOT, stateDir, logLevel: opts.logLevel, bindings: { ...creds, ...LOCAL_VARS } });
}

function banner(opts, endpoint, stateDir, creds) {
  const zones = zonesFromWranglerToml();
  const rel = path.relative(process.cwd(), stateDir) || ".";
  const shown = rel.startsWith("..") ? stateDir : rel;
  const runtime = opts.wrangler ? "wrangler dev" : "workerd via Miniflare";
  return [
    "",
    `sos-worker is running locally (${runtime} behind the local front, local D1 + R2; no Cloudflare account used)`,
    "",
    `  Endpoint     ${endpoint}   (path-style addressing)`,
    `  Portal       ${endpoint}${PORTAL_PATH}   (web console: sign in with the keys below)`,
    `  Region       us-east-1    (any of: us-east-1, auto${zones.length ? ", " + zones.join(", ") : ""}; new buckets go to ${zones[0] ?? "the first zone"} unless LocationConstraint says otherwise)`,
    `  Access key   ${creds.SOS_ROOT_ACCESS_KEY}`,
    `  Secret key   ${creds.SOS_ROOT_SECRET_KEY}`,
    `  Admin token  ${creds.SOS_ADMIN_TOKEN}`,
    `  State dir    ${shown}   (credentials in ${path.join(shown, CREDENTIALS_FILE)})`,
    "",
    "  Try:",
    `    AWS_ACCESS_KEY_ID=${creds.SOS_ROOT_ACCESS_KEY} AWS_SECRET_ACCESS_KEY=${creds.SOS_ROOT_SECRET_KEY} aws --endpoint-url ${endpoint} --region us-east-1 s3 ls`,
    `    npx sos-admin --endpoint ${endpoint} user list`,
    "",
    "  Ctrl-C stops the server.",
    "",
  ].join("\n");
}

async function main() {
  const opts = optionsOrExit(process.argv.slice(2));
  if (opts.help) return console.log(usage());
  if (!fs.existsSync(WRANGLER)) exit(`${WRANGLER} not found; run "npm ci" first`);
  const endpoint = `http://${HOST}:${opts.port}`;
  const stateDir = path.resolve(ROOT, opts.stateDir);
  fs.mkdirSync(stateDir, { recursive: true });
  const { file: credFile, creds } = loadCredentials(stateDir);
  writePrivate(credFile, JSON.stringify({ ...creds, endpoint, note: "local development credentials written by scripts/start.mjs" }, null, 2) + "\n");
  if (!(await portIsFree(opts.port, HOST))) exit(`${HOST}:${opts.port} is already in use (set PORT or --port)`);

  const verbose = opts.logLevel === "debug" || opts.logLevel === "info" || opts.logLevel === "log";
  // 1. Under --wrangler, the migrations by wrangler itself (idempotent; "No migrations to apply" on
  //    later runs). Under Miniflare, startLocalWorker applies them, keeping wrangler's bookkeeping.
  if (opts.wrangler) await applyWranglerMigrations(stateDir, verbose);
  // 2. The web portal's assets (rebuilt when stale), 3. the Worker on an internal port, 4. the front on the public one.
  if (await ensurePortalBuilt()) console.error("start: built the web portal (portal/dist)");
  const worker = await (opts.wrangler ? startWranglerDev : startMiniflare)(opts, stateDir, creds);
  if (verbose && worker.migrations)
    console.error(worker.migrations.length ? `start: applied ${worker.migrations.join(", ")}` : "start: no migrations to apply");
  let front;
  try {
    front = await startFront({ upstream: worker.url, host: HOST, port: opts.port, log: verbose ? (line) => console.log(`[front] ${line}`) : undefined });
  } catch (e) {
    await worker.dispose();
    throw e;
  }
  stopOnSignals(front, worker, opts);
  process.stdout.write(banner(opts, endpoint, stateDir, creds) + "\n");
}

function exit(message, code = 1) {
  console.error(`start: ${message}`);
  process.exit(code);
}

function optionsOrExit(argv) {
  try {
    return parseStartArgs(argv);
  } catch (e) {
    return exit(`${e.message}\n\n${usage()}`, 2);
  }
}

async function applyWranglerMigrations(stateDir, verbose) {
  const mig = await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
  if (mig.code !== 0) {
    process.stderr.write(mig.out);
    exit(`"wrangler d1 migrations apply DB --local" failed (exit ${mig.code ?? mig.signal})`);
  }
  if (verbose) process.stderr.write(mig.out);
}

/** Ctrl-C, SIGTERM, SIGHUP or the end of wrangler dev close the front and the Worker, then exit. */
function stopOnSignals(front, worker, opts) {
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    try {
      await front.close();
      await worker.dispose();
    } catch (e) {
      // workerd may already be gone (a terminal Ctrl-C reaches the whole process group)
      if (opts.logLevel === "debug") console.error(`start: while stopping: ${e?.message ?? e}`);
    }
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(0));
  worker.exited?.then((how) => {
    if (!stopping) console.error(`start: wrangler dev exited (${how})`);
    stop(1);
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((e) => {
    console.error(`start: ${e?.stack || e}`);
    process.exit(1);
  });
}
