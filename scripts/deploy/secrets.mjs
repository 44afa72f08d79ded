/**
 * The Worker's four secrets: which are missing, fresh values for those (never for one that is set: a
 * new SOS_MASTER_KEY would make every stored access-key secret unreadable), and the short-lived
 * --secrets-file that hands them to `wrangler deploy` without putting them on a command line or in a log.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeployError } from "./wrangler.mjs";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** n symbols of ALNUM, by rejection sampling so that every symbol is equally likely. */
function randomAlnumUpper(n) {
  let out = "";
  while (out.length < n) {
    for (const b of crypto.randomBytes(n * 2)) {
      if (b < 252 && out.length < n) out += ALNUM[b % 36];
    }
  }
  return out;
}

/**
 * Same shapes as the keys the admin API issues ("EXO" + 24 alphanumerics, 40-character secret).
 * `npm start` makes its local secrets with these too.
 */
export const SECRET_GENERATORS = {
  SOS_ROOT_ACCESS_KEY: () => "EXO" + randomAlnumUpper(24),
  SOS_ROOT_SECRET_KEY: () => crypto.randomBytes(30).toString("base64url"),
  SOS_ADMIN_TOKEN: () => crypto.randomBytes(32).toString("hex"),
  SOS_MASTER_KEY: () => crypto.randomBytes(32).toString("base64"),
};

export const SECRET_NAMES = Object.keys(SECRET_GENERATORS);

/** Values for the secrets not in `existing` (a set of names). The root key's two halves are made together or not at all. */
export function secretsToCreate(existing) {
  const rootHalves = ["SOS_ROOT_ACCESS_KEY", "SOS_ROOT_SECRET_KEY"].filter((n) => existing.has(n));
  if (rootHalves.length === 1) {
    const other = rootHalves[0] === "SOS_ROOT_ACCESS_KEY" ? "SOS_ROOT_SECRET_KEY" : "SOS_ROOT_ACCESS_KEY";
    throw new DeployError(
      `${rootHalves[0]} is set but ${other} is not: set it with \`npx wrangler secret put ${other}\` (or delete both to get a new root key).`,
    );
  }
  return Object.fromEntries(SECRET_NAMES.filter((n) => !existing.has(n)).map((n) => [n, SECRET_GENERATORS[n]()]));
}

/** Writes `values` to a private temporary JSON file, runs `fn(file)`, and removes the file whatever happens. */
export async function withSecretsFile(values, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-deploy-"));
  const file = path.join(dir, "secrets.json");
  try {
    fs.writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
    return await fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
