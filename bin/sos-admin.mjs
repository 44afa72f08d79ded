#!/usr/bin/env node
// sos-admin: command-line client for the sos-worker admin API (/_admin/*).
// Plain Node 20 ESM, no dependencies. Run `sos-admin --help`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs as parseArgv } from "node:util";

export const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";
const CREDENTIALS_FILE = "sos-dev-credentials.json";

export const HELP = `sos-admin: manage users, access keys, usage and background jobs of a sos-worker deployment

Usage: sos-admin [--endpoint URL] [--token T] [--json] COMMAND ...

Commands:
  user create NAME [--email E] [--max-buckets N]   create a user
  user list                                        list users
  user get ID                                      show one user
  user delete ID                                   delete a user
  user quota ID N                                  set a user's bucket quota (max buckets)
  key create --user ID [--bucket B] [--ops OPS]    create an access key (the secret is shown once)
        OPS: full | read-only | write-only | Op1,Op2,...  (S3 operation names, e.g. GetObject,ListObjectsV2)
  key list [--user ID]                             list access keys
  key disable KEY | key enable KEY                 disable / re-enable an access key
  key delete KEY                                   delete an access key
  usage [--bucket B]                               object count and stored/billed bytes per bucket
  jobs dead-letters                                background jobs that failed their last attempt
  jobs replay ID                                   send a dead-lettered job again (and drop its record)
  replicas                                         per zone: blobs with/without a replica copy, SSE-C blobs

Options:
  --endpoint URL   Worker URL (env SOS_ENDPOINT, default ${DEFAULT_ENDPOINT})
  --token T        admin bearer token (env SOS_ADMIN_TOKEN, else the one "npm start" stored in
                   $SOS_STATE_DIR or .wrangler/state/${CREDENTIALS_FILE})
  --json           machine-readable JSON output
  -h, --help       this text

Exit status: 0 on success, 1 when the server reports an error or cannot be reached, 2 on usage errors.`;

export class UsageError extends Error {}

const OPTIONS = {
  endpoint: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  email: { type: "string" },
  "max-buckets": { type: "string" },
  user: { type: "string" },
  bucket: { type: "string" },
  ops: { type: "string" },
};
// node:util would read "-3" as an option: a negative number is marked as a positional (refused later where a count is due).
const NUMBER_MARK = "\u0000";
const unmark = (v) => (typeof v === "string" && v.startsWith(NUMBER_MARK) ? v.slice(1) : v);

/** Split argv into positionals and options (node:util parseArgs); options may appear anywhere, as `--x v` or `--x=v`. */
export function tokenize(argv) {
  let parsed;
  try {
    parsed = parseArgv({ args: argv.map((a) => (/^-\d/.test(a) ? NUMBER_MARK + a : a)), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(usageMessage(e));
  }
  return { positionals: parsed.positionals.map(unmark), options: Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, unmark(v)])) };
}

/** node:util's parse error, in this tool's words. */
function usageMessage(e) {
  const name = /'(-[^' ]+)/.exec(e.message)?.[1] ?? "";
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${name}`;
  if (/argument missing/.test(e.message)) return `${name} needs a value`;
  if (/does not take an argument/.test(e.message)) return `${name} takes no value`;
  return e.message;
}

function intArg(v, what) {
  if (!/^\d+$/.test(String(v))) throw new UsageError(`${what} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

const OP_PRESETS = ["full", "read-only", "write-only"];

/** --ops value -> request field: a preset name stays a string, a comma list becomes an array. */
export function parseOps(v) {
  if (OP_PRESETS.includes(v)) return v;
  const ops = String(v)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ops.length === 0) throw new UsageError("--ops needs full, read-only, write-only or a comma-separated list of operations");
  for (const op of ops) if (!/^[A-Za-z][A-Za-z0-9]*$/.test(op)) throw new UsageError(`invalid operation name "${op}"`);
  return ops;
}

const enc = encodeURIComponent;

function only(options, allowed, cmd) {
  const global = ["endpoint", "token", "json", "help"];
  for (const k of Object.keys(options)) {
    if (!global.includes(k) && !allowed.includes(k)) throw new UsageError(`--${k} is not valid for "${cmd}"`);
  }
}

function arity(pos, n, usage) {
  if (pos.length !== n) throw new UsageError(`usage: sos-admin ${usage}`);
}

/**
 * Parse argv (without node and script) into { help, json, endpoint?, token?, command, request }.
 * request = { method, path, body? }; `command` is e.g. "user create".
 */
export function parseArgs(argv) {
  const { positionals: pos, options } = tokenize(argv);
  const base = { help: !!options.help, json: !!options.json, endpoint: options.endpoint, token: options.token };
  if (options.help || pos.length === 0) return { ...base, help: true, command: null, request: null };
  const [group, sub, ...rest] = pos;
  let command = group;
  let request;
  if (group === "user") {
    command = `user ${sub ?? ""}`.trim();
    switch (sub) {
      case "create": {
        only(options, ["email", "max-buckets"], command);
        arity(rest, 1, "user create NAME [--email E] [--max-buckets N]");
        const body = { displayName: rest[0] };
        if (options.email !== undefined) body.email = options.email;
        if (options["max-buckets"] !== undefined) body.maxBuckets = intArg(options["max-buckets"], "--max-buckets");
        request = { method: "POST", path: "/_admin/users", body };
        break;
      }
      case "list":
        only(options, [], command);
        arity(rest, 0, "user list");
        request = { method: "GET", path: "/_admin/users" };
        break;
      case "get":
        only(options, [], command);
        arity(rest, 1, "user get ID");
        request = { method: "GET", path: `/_admin/users/${enc(rest[0])}` };
        break;
      case "delete":
        only(options, [], command);
        arity(rest, 1, "user delete ID");
        request = { method: "DELETE", path: `/_admin/users/${enc(rest[0])}` };
        break;
      case "quota":
        only(options, [], command);
        arity(rest, 2, "user quota ID N");
        request = { method: "PATCH", path: `/_admin/users/${enc(rest[0])}`, body: { maxBuckets: intArg(rest[1], "N") } };
        break;
      default:
        throw new UsageError(`unknown command "user ${sub ?? ""}" (create, list, get, delete, quota)`);
    }
  } else if (group === "key") {
    command = `key ${sub ?? ""}`.trim();
    switch (sub) {
      case "create": {
        only(options, ["user", "bucket", "ops"], command);
        arity(rest, 0, "key create --user ID [--bucket B] [--ops full|read-only|write-only|Op1,Op2]");
        if (!options.user) throw new UsageError("key create needs --user ID");
        const body = { userId: options.user };
        if (options.bucket !== undefined) body.bucket = options.bucket;
        if (options.ops !== undefined) body.operations = parseOps(options.ops);
        request = { method: "POST", path: "/_admin/keys", body };
        break;
      }
      case "list":
        only(options, ["user"], command);
        arity(rest, 0, "key list [--user ID]");
        request = { method: "GET", path: options.user ? `/_admin/keys?userId=${enc(options.user)}` : "/_admin/keys" };
        break;
      case "enable":
      case "disable":
        only(options, [], command);
        arity(rest, 1, `key ${sub} KEY`);
        request = { method: "PATCH", path: `/_admin/keys/${enc(rest[0])}`, body: { enabled: sub === "enable" } };
        break;
      case "delete":
        only(options, [], command);
        arity(rest, 1, "key delete KEY");
        request = { method: "DELETE", path: `/_admin/keys/${enc(rest[0])}` };
        break;
      default:
        throw new UsageError(`unknown command "key ${sub ?? ""}" (create, list, enable, disable, delete)`);
    }
  } else if (group === "usage") {
    only(options, ["bucket"], command);
    arity(pos.slice(1), 0, "usage [--bucket B]");
    request = { method: "GET", path: options.bucket ? `/_admin/usage?bucket=${enc(options.bucket)}` : "/_admin/usage" };
  } else if (group === "jobs") {
    command = `jobs ${sub ?? ""}`.trim();
    only(options, [], command);
    if (sub === "dead-letters") {
      arity(rest, 0, "jobs dead-letters");
      request = { method: "GET", path: "/_admin/jobs/dead-letters" };
    } else if (sub === "replay") {
      arity(rest, 1, "jobs replay ID");
      request = { method: "POST", path: `/_admin/jobs/dead-letters/${enc(rest[0])}/replay` };
    } else throw new UsageError(`unknown command "jobs ${sub ?? ""}" (dead-letters, replay)`);
  } else if (group === "replicas") {
    only(options, [], command);
    arity(pos.slice(1), 0, "replicas");
    request = { method: "GET", path: "/_admin/replicas" };
  } else {
    throw new UsageError(`unknown command "${group}" (user, key, usage, jobs, replicas; see --help)`);
  }
  return { ...base, command, request };
}

/** Token: --token, then $SOS_ADMIN_TOKEN, then the credentials file written by `npm start`. */
export function resolveToken(explicit, env = process.env, cwd = process.cwd()) {
  if (explicit) return explicit;
  if (env.SOS_ADMIN_TOKEN) return env.SOS_ADMIN_TOKEN;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [];
  if (env.SOS_STATE_DIR) candidates.push(path.resolve(cwd, env.SOS_STATE_DIR, CREDENTIALS_FILE));
  candidates.push(path.resolve(cwd, ".wrangler/state", CREDENTIALS_FILE));
  candidates.push(path.resolve(here, "..", ".wrangler/state", CREDENTIALS_FILE));
  for (const f of candidates) {
    try {
      const t = JSON.parse(fs.readFileSync(f, "utf8")).SOS_ADMIN_TOKEN;
      if (typeof t === "string" && t) return t;
    } catch {}
  }
  return undefined;
}

export function resolveEndpoint(explicit, env = process.env) {
  return (explicit || env.SOS_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
}

// ---------- output ----------

function cell(v) {
  if (v === null || v === undefined) return "-";
  if (Array.isArray(v)) return v.join(",") || "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function table(rows, preferred = []) {
  if (!rows.length) return "(none)";
  const cols = [...preferred.filter((c) => rows.some((r) => c in r))];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const data = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...data.map((d) => d[i].length)));
  const line = (vals) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(cols), ...data.map(line)].join("\n");
}

function fields(obj, preferred = []) {
  const keys = [...preferred.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !preferred.includes(k))];
  const w = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${(k + ":").padEnd(w + 1)} ${cell(obj[k])}`).join("\n");
}

function humanBytes(n) {
  if (typeof n !== "number") return cell(n);
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) [v, i] = [v / 1024, i + 1];
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${u[i]}`;
}

const USER_COLS = ["userId", "displayName", "email", "maxBuckets", "createdAt"];
const KEY_COLS = ["accessKeyId", "userId", "bucket", "operations", "enabled", "createdAt"];

export function formatHuman(parsed, _status, body) {
  const req = parsed.request;
  if (req.method === "DELETE") return `deleted ${parsed.command.split(" ")[0]} ${decodeURIComponent(req.path.split("/").pop())}`;
  switch (parsed.command) {
    case "user create":
    case "user get":
    case "user quota":
      return fields(body ?? {}, USER_COLS);
    case "user list":
      return table(body?.users ?? [], USER_COLS);
    case "key create":
      return fields(body ?? {}, ["accessKeyId", "secretAccessKey", ...KEY_COLS]) + "\n(the secret access key is shown only once)";
    case "key list":
      return table(body?.keys ?? [], KEY_COLS);
    case "key enable":
    case "key disable":
      return body && typeof body === "object" && Object.keys(body).length
        ? fields(body, KEY_COLS)
        : `${parsed.command.split(" ")[1]}d key ${decodeURIComponent(req.path.split("/").pop())}`;
    case "usage": {
      const rows = (body?.buckets ?? []).map((b) => ({ ...b, stored: humanBytes(b.storedBytes), billed: humanBytes(b.billedBytes) }));
      return table(rows, ["name", "owner", "objectCount", "storedBytes", "stored", "billedBytes", "billed"]);
    }
    case "jobs dead-letters":
      return table(
        (body?.deadLetters ?? []).map((d) => ({ ...d, message: JSON.stringify(d.message) })),
        ["id", "kind", "attempts", "failedAt", "error", "message"],
      );
    case "jobs replay":
      return `replayed ${body?.replayed?.kind} job ${body?.replayed?.id}`;
    case "replicas":
      return table(body?.zones ?? [], ["zone", "replica", "referenced", "replicated", "unreplicated", "ssecUnreplicable"]);
    default:
      return JSON.stringify(body, null, 2);
  }
}

// ---------- main ----------

export async function run(argv, { env = process.env, stdout = process.stdout, stderr = process.stderr, fetchImpl = fetch } = {}) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`sos-admin: ${e.message}\n(see sos-admin --help)\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    stdout.write(HELP + "\n");
    return 0;
  }
  const endpoint = resolveEndpoint(parsed.endpoint, env);
  const token = resolveToken(parsed.token, env);
  if (!token) {
    stderr.write('sos-admin: no admin token (use --token, set SOS_ADMIN_TOKEN, or start the server with "npm start" here)\n');
    return 2;
  }
  const { method, path: p, body } = parsed.request;
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetchImpl(endpoint + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    const why = e?.cause?.code || e?.cause?.message || e?.message || String(e);
    if (parsed.json) stderr.write(JSON.stringify({ code: "ConnectionError", message: `cannot reach ${endpoint}: ${why}` }) + "\n");
    else stderr.write(`sos-admin: cannot reach ${endpoint}: ${why}\n`);
    return 1;
  }
  const text = await res.text();
  let data;
  if (text.length) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const code = data?.code ?? `HTTP${res.status}`;
    const message = data?.message ?? (text.trim().slice(0, 500) || res.statusText);
    if (parsed.json) stderr.write(JSON.stringify({ status: res.status, code, message }) + "\n");
    else stderr.write(`sos-admin: ${method} ${p} failed: ${res.status} ${code}: ${message}\n`);
    return 1;
  }
  if (text.length && data === undefined) {
    stderr.write(`sos-admin: ${method} ${p}: response is not JSON: ${text.slice(0, 200)}\n`);
    return 1;
  }
  if (parsed.json) {
    let out = data;
    if (out === undefined) {
      const id = decodeURIComponent(p.split("?")[0].split("/").pop());
      out = method === "DELETE" ? { deleted: true, id } : { ok: true, id };
    }
    stdout.write(JSON.stringify(out, null, 2) + "\n");
  } else {
    stdout.write(formatHuman(parsed, res.status, data) + "\n");
  }
  return 0;
}

function invokedDirectly() {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`sos-admin: ${e?.stack || e}\n`);
      process.exitCode = 1;
    },
  );
}
