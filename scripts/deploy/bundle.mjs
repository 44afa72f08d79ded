/**
 * Builds the exact bundle `wrangler deploy` uploads (`wrangler deploy --dry-run --outdir`, offline)
 * and checks it against the Workers script size limits: 3 MiB gzip-compressed on the Free plan,
 * 10 MiB on Paid (https://developers.cloudflare.com/workers/platform/limits/#worker-size).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { DeployError, wrangler } from "./wrangler.mjs";

const MiB = 1024 * 1024;
export const SIZE_LIMITS = { free: 3 * MiB, paid: 10 * MiB };

/** Bundles the Worker; returns { modules: [{name, bytes, gzipBytes}], bytes, gzipBytes }. */
export async function buildBundle(deploy) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-deploy-bundle-"));
  try {
    await wrangler(["deploy", "--dry-run", "--outdir", outdir, "--config", deploy.configPath], { cwd: deploy.projectDir });
    // wrangler also writes source maps and a README: neither is part of the upload's size.
    const modules = fs
      .readdirSync(outdir, { recursive: true })
      .filter((f) => !f.endsWith(".map") && f !== "README.md" && fs.statSync(path.join(outdir, f)).isFile())
      .map((name) => {
        const content = fs.readFileSync(path.join(outdir, name));
        return { name, bytes: content.length, gzipBytes: zlib.gzipSync(content, { level: 9 }).length };
      });
    if (modules.length === 0) throw new DeployError(`wrangler deploy --dry-run wrote no module to ${outdir}.`);
    const sum = (k) => modules.reduce((n, m) => n + m[k], 0);
    return { modules, bytes: sum("bytes"), gzipBytes: sum("gzipBytes") };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Lines describing the bundle against both plans' limits; throws when it exceeds the Paid limit. */
export function checkSize(bundle) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const pct = (limit) => `${((bundle.gzipBytes / limit) * 100).toFixed(1)}%`;
  const lines = [
    `bundle: ${bundle.modules.map((m) => m.name).join(", ")}: ${kib(bundle.bytes)}, ${kib(bundle.gzipBytes)} gzip`,
    `size limit: ${pct(SIZE_LIMITS.free)} of the Free plan's ${kib(SIZE_LIMITS.free)}, ${pct(SIZE_LIMITS.paid)} of the Paid plan's ${kib(SIZE_LIMITS.paid)} (compressed)`,
  ];
  if (bundle.gzipBytes > SIZE_LIMITS.paid) throw new DeployError(`${lines.join("\n")}\nThe Worker is larger than any plan allows.`);
  if (bundle.gzipBytes > SIZE_LIMITS.free) lines.push("WARNING: over the Free plan's limit: deploying needs the Workers Paid plan.");
  return lines;
}
