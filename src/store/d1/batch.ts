/**
 * Atomic writes: one D1 `batch()` is one transaction. Preconditions that must hold at commit time
 * are `batch_assertions` inserts whose trigger (migrations/) aborts the batch with "sos:<S3 error code>".
 */
import { S3Error, type Reason } from "../../errors";

/** The error codes (and reasons) that have a batch_assertions trigger (store tests check each against the migrations). */
export const ASSERTION_CODES = [
  "PreconditionFailed",
  "TooManyBuckets",
  "BucketNotEmpty",
  "NoSuchKey",
  "TooManyVersions",
  "NoSuchUpload",
  "ConditionalRequestConflict",
  "InvalidPart",
  "NoSuchVersion",
  "NoSuchBucket",
  "objectLocked",
] as const satisfies readonly Reason[];

/** An assertion with any other code would silently commit, so it does not compile. */
export type AssertionCode = (typeof ASSERTION_CODES)[number];

/** Runs a batch, turning a batch_assertions abort into its S3 error. */
export async function commit(db: D1Database, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  try {
    return await db.batch(statements);
  } catch (e) {
    const m = /sos:([A-Za-z]+)/.exec(String((e as Error)?.message ?? e));
    if (m) throw new S3Error(m[1] as AssertionCode);
    throw e;
  }
}

/** A statement that aborts the batch with `failure` when `failWhenSql` holds (its parameters start at ?2). */
export function assertion(db: D1Database, failure: AssertionCode, failWhenSql: string, ...params: unknown[]): D1PreparedStatement {
  return db.prepare(`INSERT INTO batch_assertions (failure) SELECT ?1 WHERE ${failWhenSql}`).bind(failure, ...params);
}

/** One precondition of a batch: `failWhen` is SQL written as for `assertion` (its parameters start at ?2). */
export type Check = { failure: AssertionCode; failWhen: string; params: unknown[] };

/**
 * Several preconditions in one statement (one statement less per check in the batch): it aborts the
 * batch with the first check, in order, whose condition holds. Each check's ?2, ?3, ... are renumbered.
 */
export function checks(db: D1Database, list: readonly Check[]): D1PreparedStatement {
  const params: unknown[] = [];
  const arms = list.map(({ failure, failWhen, params: own }) => {
    const offset = params.length;
    params.push(...own);
    // ASSERTION_CODES are plain identifiers: safe to inline as SQL strings.
    return `WHEN ${failWhen.replace(/\?(\d+)/g, (_, n: string) => `?${Number(n) - 1 + offset}`)} THEN '${failure}'`;
  });
  return db
    .prepare(`INSERT INTO batch_assertions (failure) SELECT failure FROM (SELECT CASE ${arms.join(" ")} END AS failure) WHERE failure IS NOT NULL`)
    .bind(...params);
}
