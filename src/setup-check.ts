/**
 * Deployment mistakes the Worker can recognise by itself, each turned into a message that says what
 * to run, so that a half-set-up deployment answers every request with that instead of InternalError.
 * Costs nothing per request: secrets are property reads, and an unmigrated database is recognised
 * from the error D1 already raised ("no such table"), not by an extra query.
 */
import type { Env } from "./env";
import { S3Error } from "./errors";

const MIGRATE = "run `npx wrangler d1 migrations apply DB --remote` (or `npm run deploy`, which applies them)";

/** "the X secret is not set" and the two ways to set it. */
export const secretNotSet = (name: string) =>
  `the ${name} secret is not set: run \`npm run deploy\` (it sets the missing secrets) or \`npx wrangler secret put ${name}\`.`;

/** A required secret that is missing, as a sentence saying how to set it; null when all are there. */
export function missingSecret(env: Env): string | null {
  if (!env.SOS_MASTER_KEY) return secretNotSet("SOS_MASTER_KEY");
  if (!env.SOS_ROOT_ACCESS_KEY !== !env.SOS_ROOT_SECRET_KEY) {
    const absent = env.SOS_ROOT_ACCESS_KEY ? "SOS_ROOT_SECRET_KEY" : "SOS_ROOT_ACCESS_KEY";
    return `the root key is half set (${absent} is missing): run \`npx wrangler secret put ${absent}\`.`;
  }
  return null;
}

/** What to do about an error that means the deployment is incomplete; null for any other error. */
export function setupProblem(e: unknown): string | null {
  const message = String((e as Error)?.message ?? e);
  if (/no such table/i.test(message)) return `the D1 database has not been migrated: ${MIGRATE}.`;
  if (/no such column|has no column named/i.test(message)) return `the D1 database schema is older than this Worker: ${MIGRATE}.`;
  const zone = /zone (\S+) has no R2 binding (\S+)/.exec(message);
  if (zone) return `zone ${zone[1]} (SOS_ZONES) has no R2 binding ${zone[2]}: add an [[r2_buckets]] entry for it to wrangler.toml and run \`npm run deploy\`.`;
  if (message.startsWith("SOS_ZONE_ENDPOINTS: ")) return `${message}: fix it in wrangler.toml [vars] (docs/zones.md) and run \`npm run deploy\`.`;
  return null;
}

/** The S3 error a not-set-up deployment answers: 503, the message saying what is missing and what to run. */
export function notSetUp(problem: string): S3Error {
  return new S3Error("notSetUp", { problem });
}
