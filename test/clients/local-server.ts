// Shared infrastructure of the real-client tests (clients.test.ts, large-files.test.ts, local-front.test.ts):
// start `node scripts/start.mjs` (the local front before workerd with local D1/R2) on a free port in its own
// process group, run a CLI client with a clean environment and a timeout, report a failed command with its
// command line, exit code, stdout, stderr and the tail of the server's output, describe() a client's tests
// so that a missing binary skips them (or fails them when SOS_REQUIRE_CLIENTS=1; SOS_SKIP_CLIENTS=1 skips
// all), and record what a client and the server say on the wire about `Expect: 100-continue`.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "vitest";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REQUIRE_CLIENTS = process.env.SOS_REQUIRE_CLIENTS === "1";
export const SKIP_CLIENTS = process.env.SOS_SKIP_CLIENTS === "1";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- describe() per client
export interface ClientDescribeOptions {
  /** What is missing, in the messages (e.g. "/usr/bin/aws"); defaults to the label. */
  wanted?: string;
  /** How to install it, e.g. "apt-get install -y awscli rclone". */
  installHint: string;
  /** Prefix of the skip warning, e.g. "clients.test". */
  tag: string;
}

/** describe() for one client: runs, or skips with a visible reason, or fails when SOS_REQUIRE_CLIENTS=1. */
export function clientDescribe(label: string, bin: string | undefined, fn: () => void, opts: ClientDescribeOptions) {
  const wanted = opts.wanted ?? label;
  if (SKIP_CLIENTS) return describe.skip(`${label} (SOS_SKIP_CLIENTS=1)`, fn);
  if (bin) return describe(`${label} (${bin})`, fn);
  const why = `${wanted} not found; install it (${opts.installHint})`;
  if (REQUIRE_CLIENTS) {
    return describe(label, () => {
      it(`${wanted} is installed (SOS_REQUIRE_CLIENTS=1)`, () => {
        throw new Error(why);
      });
    });
  }
  console.warn(`[${opts.tag}] skipping ${label}: ${why}. Set SOS_REQUIRE_CLIENTS=1 to fail instead.`);
  return describe.skip(`${label} (skipped: ${why})`, fn);
}

// ---------------------------------------------------------------- running a client
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  cmdline: string;
}

export interface RunOptions {
  /** Variables set on top of the clean environment (see cleanEnv). */
  env?: Record<string, string>;
  cwd?: string;
  /** SIGKILL the client after this long; default 120 s. */
  timeoutMs?: number;
}

/** process.env without AWS_*, RCLONE_*, S3CMD* and proxy variables, so the outer environment cannot leak into a client. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|RCLONE_|S3CMD)/i.test(k)) continue;
    if (/^(http|https|all)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost", ...extra };
}

/** Runs a client with a clean environment and a timeout; never rejects (a spawn error is code -1). */
export function runClient(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const cmdline = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: cleanEnv(opts.env), cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${timeoutMs / 1000}s`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout, stderr: stderr + String(e), cmdline });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, cmdline });
    });
    child.stdin.end();
  });
}

// ---------------------------------------------------------------- reporting
/** The last n characters of the server's output, for error messages. */
export function serverTail(serverLog: string, n = 3000) {
  const t = serverLog.length > n ? "…" + serverLog.slice(-n) : serverLog;
  return t.trim() ? t : "(no server output)";
}

/** Command line, exit code, stdout, stderr and the tail of the server's output. */
export function describeRun(r: RunResult, serverLog: string) {
  return [
    `command: ${r.cmdline}`,
    `exit: ${r.code ?? r.signal}`,
    `stdout:\n${r.stdout.trim().slice(-4000) || "(empty)"}`,
    `stderr:\n${r.stderr.trim().slice(-4000) || "(empty)"}`,
    `server output (tail):\n${serverTail(serverLog)}`,
  ].join("\n");
}

/** Returns r if the command exited 0, else throws with describeRun(). */
export function expectOk(r: RunResult, serverLog: string): RunResult {
  if (r.code !== 0) throw new Error(`client command failed\n${describeRun(r, serverLog)}`);
  return r;
}

/** Returns r if the command failed (and its output matches pattern, if given), else throws with describeRun(). */
export function expectFail(r: RunResult, serverLog: string, pattern?: RegExp): RunResult {
  if (r.code === 0) throw new Error(`client command unexpectedly succeeded\n${describeRun(r, serverLog)}`);
  if (pattern && !pattern.test(r.stdout + r.stderr)) throw new Error(`client command failed, but not with ${pattern}\n${describeRun(r, serverLog)}`);
  return r;
}

// ---------------------------------------------------------------- the local server
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface LocalServerOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** SOS_ADMIN_TOKEN; random if absent. */
  adminToken?: string;
  /** SOS_MASTER_KEY (base64, 32 bytes); random if absent. */
  masterKey?: string;
  /** SOS_STATE_DIR */
  stateDir: string;
  /** Also append the server's output to this file. */
  logFile?: string;
  /** SOS_LOG_LEVEL; default "warn". */
  logLevel?: string;
  /** How long to wait for the first HTTP answer; default 180 s. */
  readyTimeoutMs?: number;
  /** Extra arguments of scripts/start.mjs, e.g. ["--wrangler"]. */
  args?: string[];
  /** Listen on this port instead of a free one (e.g. to restart on the same endpoint). */
  port?: number;
}

export interface LocalServer {
  port: number;
  endpoint: string;
  /** The server's output so far (its last 100-200 kB). */
  log(): string;
  /** SIGTERM to the process group, SIGKILL to what is left after it exits (or after 10 s). */
  stop(): Promise<void>;
}

/** start.mjs and workerd (under --wrangler: wrangler and its two workerd) share one process group: signal the group, by its id. */
function killGroup(child: ChildProcess, sig: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

async function stopGroup(child: ChildProcess) {
  if (child.pid === undefined) return;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  killGroup(child, "SIGTERM");
  const timedOut = await Promise.race([gone.then(() => false), sleep(10_000).then(() => true)]);
  // Whatever is still alive in the group (e.g. a workerd that ignored SIGTERM) gets SIGKILL.
  await sleep(timedOut ? 0 : 500);
  killGroup(child, "SIGKILL");
}

/** Starts `node scripts/start.mjs` on a free port and resolves once it answers HTTP; stops it again if it never does. */
export async function startLocalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  let log = "";
  let exited: string | undefined;
  let stopped = false;
  const child = spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs"), ...(opts.args ?? [])], {
    cwd: ROOT,
    detached: true, // own process group, so stop() can kill start.mjs and workerd (and wrangler) with one signal
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      SOS_STATE_DIR: opts.stateDir,
      SOS_ROOT_ACCESS_KEY: opts.accessKeyId,
      SOS_ROOT_SECRET_KEY: opts.secretAccessKey,
      SOS_ADMIN_TOKEN: opts.adminToken ?? crypto.randomBytes(32).toString("hex"),
      SOS_MASTER_KEY: opts.masterKey ?? crypto.randomBytes(32).toString("base64"),
      SOS_LOG_LEVEL: opts.logLevel ?? "warn",
    },
  });
  const onData = (d: Buffer) => {
    log += d.toString("utf8");
    if (log.length > 200_000) log = log.slice(-100_000);
    if (opts.logFile) fs.appendFileSync(opts.logFile, d);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  child.on("exit", (code, signal) => (exited = `exit ${code ?? signal}`));
  // Last resort if the test worker is torn down without stop().
  const lastResort = () => killGroup(child, "SIGKILL");
  process.once("exit", lastResort);

  const server: LocalServer = {
    port,
    endpoint,
    log: () => log,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", lastResort);
      await stopGroup(child);
    },
  };

  const waitForServer = async (timeoutMs: number) => {
    const url = `${endpoint}/`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`server exited before answering (${exited})\n${serverTail(log)}`);
      // wrangler dev keeps running (waiting for a file change) after a failed build: fail fast instead.
      if (/Build failed/.test(log)) {
        await sleep(500);
        throw new Error(`the Worker failed to build\n${serverTail(log, 8000)}`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return;
      } catch {}
      await sleep(300);
    }
    throw new Error(`server did not answer on ${url} within ${timeoutMs / 1000}s\n${serverTail(log)}`);
  };
  try {
    await waitForServer(opts.readyTimeoutMs ?? 180_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

// ---------------------------------------------------------------- the wire, as the client sees it
export interface WireRecord {
  /** Where clients connect (relayed byte for byte to the target). */
  endpoint: string;
  /** Requests whose header block carried `Expect: 100-continue`. */
  expects(): number;
  /** `HTTP/1.1 100 Continue` interim responses the server sent. */
  continues(): number;
  /** Times a client sent body bytes of an expecting request before the server's 100 Continue (e.g. after a client-side timeout). */
  bodiesBeforeContinue(): number;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of `targetPort` that watches each connection: it finds request header blocks
 * with `Expect: 100-continue`, counts the server's `100 Continue` answers, and notes any body bytes a
 * client sent while still waiting for one. For clients that do not pipeline (all S3 clients here).
 */
export async function recordWire(targetPort: number): Promise<WireRecord> {
  let expects = 0;
  let continues = 0;
  let early = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    // "headers": reading a request header block; "waiting": it asked for 100 Continue; "body": anything else until the next final response
    let state: "headers" | "waiting" | "body" = "headers";
    let head = "";
    client.on("data", (d: Buffer) => {
      upstream.write(d);
      if (state === "waiting") {
        early++;
        state = "body";
      } else if (state === "headers") {
        head += d.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        const asks = /\r\nexpect:[ \t]*100-continue[ \t]*\r\n/i.test(head.slice(0, end + 2));
        if (asks) expects++;
        if (asks && head.length > end + 4) early++; // body bytes in the same packet as the headers
        state = asks && head.length === end + 4 ? "waiting" : "body";
        head = "";
      }
    });
    upstream.on("data", (d: Buffer) => {
      client.write(d);
      const text = d.toString("latin1");
      const interim = text.match(/HTTP\/1\.1 100 Continue\r\n\r\n/g)?.length ?? 0;
      continues += interim;
      if (interim && state === "waiting") state = "body";
      // A final response (any status but 100) ends the exchange: the client's next bytes are headers.
      if (/HTTP\/1\.1 (?!100 )\d{3} /.test(text)) state = "headers";
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", closeBoth).on("close", closeBoth);
    upstream.on("error", closeBoth).on("close", closeBoth);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    expects: () => expects,
    continues: () => continues,
    bodiesBeforeContinue: () => early,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
