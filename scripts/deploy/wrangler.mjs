/**
 * Runs the project's own wrangler CLI (node_modules/wrangler, the pinned version) as a child process,
 * capturing its output. Secrets never travel on a wrangler command line: they go in a --secrets-file.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const WRANGLER_BIN = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

export class DeployError extends Error {}

/**
 * `wrangler <args>` in `cwd`. Resolves with { code, out, stdout } (`out`: stdout and stderr interleaved,
 * ANSI colours stripped; `stdout` alone, for JSON); rejects with a DeployError carrying wrangler's output when it fails, unless `allowFailure`.
 */
export function wrangler(args, { cwd, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd,
      // Never wait for a prompt: wrangler then takes each prompt's non-interactive default.
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0", WRANGLER_HIDE_BANNER: process.env.WRANGLER_HIDE_BANNER ?? "true" },
    });
    let out = "";
    let stdout = "";
    child.stdout.on("data", (d) => {
      out += d;
      stdout += d;
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      out = out.replace(/\x1b\[[0-9;]*m/g, "");
      if (code === 0 || allowFailure) return resolve({ code, out, stdout });
      reject(wranglerFailed(args, code, out));
    });
  });
}

/** The DeployError for a failed wrangler command, with the useful part of its output. */
export function wranglerFailed(args, code, out) {
  return new DeployError(`\`wrangler ${args.join(" ")}\` failed (exit ${code}):\n${indent(errorPart(out))}`);
}

/** The part of wrangler's output worth showing after a failure: from its first ERROR line, or the tail. */
function errorPart(out) {
  const i = out.search(/✘|\[ERROR\]/);
  const text = i >= 0 ? out.slice(i) : out.split("\n").slice(-20).join("\n");
  return text.replace(/🪵.*\n?/g, "").trim();
}

export const indent = (text, pad = "    ") => text.replace(/^/gm, pad);
