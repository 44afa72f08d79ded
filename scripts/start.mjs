#!/usr/bin/env node
// `npm start`: a local S3 endpoint with zero Cloudflare account.
//
//   node scripts/start.mjs [--port N] [--state-dir DIR] [--log-level L] [-- <extra wrangler dev args>]
//
// Environment:
//   PORT                 listen port (default 8787); --port wins
//   SOS_STATE_DIR        local D1/R2 state (default .wrangler/state); --state-dir wins
//   SOS_LOG_LEVEL        wrangler dev --log-level (default "warn": per-request logging costs throughput)
//   SOS_ROOT_ACCESS_KEY, SOS_ROOT_SECRET_KEY, SOS_ADMIN_TOKEN, SOS_MASTER_KEY
//                        taken from the environment when set; otherwise generated once and kept in
//                        <state dir>/sos-dev-credentials.json so they survive restarts.
//
// The secrets reach the Worker through a dotenv file inside the state dir (<state dir>/sos-dev.vars,
// mode 0600) passed to `wrangler dev --env-file`, so nothing lands in the repository and nothing shows
// up in `ps`. Note: with --env-file, wrangler does not read the project's .dev.vars.
//
// Arguments this script does not know, and everything after a literal `--`, go to `wrangler dev`.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const CREDENTIALS_FILE = "sos-dev-credentials.json";
const ENV_FILE = "sos-dev.vars";
const SECRET_NAMES = ["SOS_ROOT_ACCESS_KEY", "SOS_ROOT_SECRET_KEY", "SOS_ADMIN_TOKEN", "SOS_MASTER_KEY"];
// Local-only overrides of wrangler.toml [vars]: `wrangler dev` serves plain HTTP, so SSE-C must be allowed over it.
const LOCAL_VARS = { SOS_REQUIRE_HTTPS_FOR_SSEC: "false" };
const LOG_LEVELS = ["debug", "info", "log", "warn", "error", "none"];

function usage() {
  return `Usage: npm start [-- [--port N] [--state-dir DIR] [--log-level LEVEL] [-- WRANGLER_DEV_ARGS...]]

Starts the sos-worker S3 endpoint locally (wrangler dev + local D1/R2), no Cloudflare account needed.

Options:
  --port N           listen port (env PORT, default 8787)
  --state-dir DIR    local state directory (env SOS_STATE_DIR, default .wrangler/state)
  --log-level LEVEL  wrangler log level: ${LOG_LEVELS.join("|")} (env SOS_LOG_LEVEL, default warn)
  -h, --help         this text

Credentials come from SOS_ROOT_ACCESS_KEY, SOS_ROOT_SECRET_KEY, SOS_ADMIN_TOKEN and SOS_MASTER_KEY
when set; otherwise they are generated once and stored in <state dir>/${CREDENTIALS_FILE}.
Unknown arguments, and everything after "--", are passed to "wrangler dev".`;
}

export function parseStartArgs(argv, env = process.env) {
  const opts = {
    port: env.PORT ? Number(env.PORT) : 8787,
    stateDir: env.SOS_STATE_DIR || ".wrangler/state",
    logLevel: env.SOS_LOG_LEVEL || "warn",
    help: false,
    passthrough: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (a === "--") {
      opts.passthrough.push(...argv.slice(i + 1));
      break;
    } else if (flag === "--port") opts.port = Number(value());
    else if (flag === "--state-dir" || flag === "--persist-to") opts.stateDir = value();
    else if (flag === "--log-level") opts.logLevel = value();
    else if (a === "-h" || a === "--help") opts.help = true;
    else opts.passthrough.push(a);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new Error(`invalid port: ${opts.port}`);
  if (!LOG_LEVELS.includes(opts.logLevel)) throw new Error(`invalid log level: ${opts.logLevel} (one of ${LOG_LEVELS.join(", ")})`);
  return opts;
}

// 36-symbol alphabet, rejection sampling so every symbol is equally likely.
function randomAlnumUpper(n) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let out = "";
  while (out.length < n) {
    for (const b of crypto.randomBytes(n * 2)) {
      if (b < 252 && out.length < n) out += alphabet[b % 36];
    }
  }
  return out;
}

export const generators = {
  SOS_ROOT_ACCESS_KEY: () => "EXO" + randomAlnumUpper(24),
  SOS_ROOT_SECRET_KEY: () => crypto.randomBytes(30).toString("base64url"), // 40 chars
  SOS_ADMIN_TOKEN: () => crypto.randomBytes(32).toString("hex"),
  SOS_MASTER_KEY: () => crypto.randomBytes(32).toString("base64"),
};

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
    else [creds[name], source[name]] = [generators[name](), "generated"];
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
    return m ? m[1].split(",").map((s) => s.trim()).filter(Boolean) : [];
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

async function main() {
  let opts;
  try {
    opts = parseStartArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`start: ${e.message}\n\n${usage()}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(usage());
    return;
  }
  if (!fs.existsSync(WRANGLER)) {
    console.error(`start: ${WRANGLER} not found; run "npm ci" first`);
    process.exit(1);
  }
  const host = "127.0.0.1";
  const endpoint = `http://${host}:${opts.port}`;
  const stateDir = path.resolve(ROOT, opts.stateDir);
  fs.mkdirSync(stateDir, { recursive: true });

  const { file: credFile, creds } = loadCredentials(stateDir);
  writePrivate(credFile, JSON.stringify({ ...creds, endpoint, note: "local development credentials written by scripts/start.mjs" }, null, 2) + "\n");
  const envFile = path.join(stateDir, ENV_FILE);
  writePrivate(envFile, "# written by scripts/start.mjs; local development secrets for wrangler dev --env-file\n" +
    SECRET_NAMES.map((n) => `${n}=${dotenvQuote(creds[n])}`).join("\n") + "\n" +
    Object.entries(LOCAL_VARS).map(([n, v]) => `${n}=${dotenvQuote(v)}`).join("\n") + "\n");

  if (!(await portIsFree(opts.port, host))) {
    console.error(`start: ${host}:${opts.port} is already in use (set PORT or --port)`);
    process.exit(1);
  }

  // 1. Migrations (idempotent; "No migrations to apply" on later runs).
  const mig = await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir]);
  if (mig.code !== 0) {
    process.stderr.write(mig.out);
    console.error(`start: "wrangler d1 migrations apply DB --local" failed (exit ${mig.code ?? mig.signal})`);
    process.exit(1);
  }
  if (opts.logLevel === "debug" || opts.logLevel === "info" || opts.logLevel === "log") process.stderr.write(mig.out);

  // 2. wrangler dev, same process group as us so a terminal Ctrl-C or a group kill reaches it and workerd.
  const devArgs = [
    "dev",
    "--ip", host,
    "--port", String(opts.port),
    "--persist-to", stateDir,
    "--env-file", envFile,
    "--log-level", opts.logLevel,
    "--show-interactive-dev-session=false",
    ...opts.passthrough,
  ];
  const child = spawn(process.execPath, [WRANGLER, ...devArgs], { cwd: ROOT, env: childEnv(), stdio: ["ignore", "inherit", "inherit"] });

  let exiting = false;
  const forward = (sig) => {
    exiting = true;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(sig);
      } catch {}
    }
  };
  process.on("SIGINT", () => forward("SIGINT"));
  process.on("SIGTERM", () => forward("SIGTERM"));
  process.on("SIGHUP", () => forward("SIGTERM"));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  exited.then(({ code, signal }) => {
    if (!exiting && code !== 0) console.error(`start: wrangler dev exited (${signal ?? `code ${code}`})`);
    process.exit(code ?? (signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 1));
  });

  // 3. Wait until the port answers HTTP (with --log-level warn wrangler prints nothing, not even "Ready").
  const timeoutMs = Number(process.env.SOS_START_TIMEOUT_MS || 180_000);
  const deadline = Date.now() + timeoutMs;
  let ready = false;
  while (Date.now() < deadline && !exiting && child.exitCode === null) {
    if (await portAnswers(`${endpoint}/`)) {
      ready = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  if (!ready) {
    if (!exiting && child.exitCode === null) {
      console.error(`start: ${endpoint} did not answer within ${timeoutMs / 1000}s; stopping wrangler`);
      forward("SIGTERM");
    }
    return;
  }

  const zones = zonesFromWranglerToml();
  const rel = path.relative(process.cwd(), stateDir) || ".";
  const shown = rel.startsWith("..") ? stateDir : rel;
  const lines = [
    "",
    "sos-worker is running locally (wrangler dev, local D1 + R2; no Cloudflare account used)",
    "",
    `  Endpoint     ${endpoint}   (path-style addressing)`,
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
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((e) => {
    console.error(`start: ${e?.stack || e}`);
    process.exit(1);
  });
}
