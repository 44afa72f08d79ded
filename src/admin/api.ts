/**
 * Admin API (JSON over HTTP, bearer SOS_ADMIN_TOKEN), outside the S3 namespace under /_admin:
 * users, access keys, bucket quotas and usage, dead-lettered jobs and zone replica state.
 * `bin/sos-admin.mjs` is its CLI.
 */
import { IttyRouter, type IRequest } from "itty-router";
import { sha256Hex, timingSafeEqual } from "../auth/crypto";
import type { Deps } from "../context";
import { forgetAccessKey } from "../identity";
import { encryptSecret, generateKeyPair, randomHex } from "../logic/secrets";
import type { AccessKey, KeyOperations, User } from "../store/model";
import { bucketNameProblem } from "../logic/names";
import { sendJobs, type JobMessage } from "../jobs/messages";
import { isOperation } from "../operations";
import { KEY_PERMISSIONS } from "../authz";
import { ADMIN_PREFIX } from "../router";
import { missingSecret, secretNotSet, setupProblem } from "../setup-check";
import { S3Error, type ErrorArgs, type Reason } from "../errors";

/** Throws an admin error from the one error catalogue (answered as JSON `{code, message}`, see handleAdmin). */
const fail = <R extends Reason>(reason: R, ...args: ErrorArgs<R>): never => {
  throw new S3Error(reason, ...args);
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Constant-time comparison of the presented token with the configured one (hashed first, so lengths do not leak). */
async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return timingSafeEqual(a, b);
}

const userJson = (u: User) => ({
  userId: u.id,
  displayName: u.displayName,
  email: u.email,
  maxBuckets: u.maxBuckets,
  createdAt: new Date(u.createdAt).toISOString(),
});

const keyJson = (k: AccessKey) => ({
  accessKeyId: k.accessKeyId,
  userId: k.userId,
  bucket: k.bucket,
  operations: k.operations,
  enabled: k.enabled,
  createdAt: new Date(k.createdAt).toISOString(),
});

async function body(req: IRequest): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    /* fall through */
  }
  return fail("adminBodyNotObject");
}

function parseOperations(v: unknown): KeyOperations {
  if (v === undefined || v === null) return "full";
  if (v === "full" || v === "read-only" || v === "write-only") return v;
  const list =
    typeof v === "string"
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : v;
  if (Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === "string")) {
    // A misspelt name (or an IAM action such as "ListBucket") would silently grant nothing: refuse it.
    const unknown = list.filter((s) => !isOperation(s) && !(KEY_PERMISSIONS as readonly string[]).includes(s));
    if (unknown.length === 0) return [...new Set(list as string[])];
    return fail("adminOperationsUnknown", { names: unknown });
  }
  return fail("adminOperationsInvalid");
}

function parseMaxBuckets(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 100000) return v;
  return fail("adminMaxBucketsInvalid");
}

function buildRouter(deps: Deps) {
  const { meta } = deps;
  const router = IttyRouter({ base: ADMIN_PREFIX });

  router.post("/users", async (req) => {
    const b = await body(req);
    const displayName = typeof b.displayName === "string" ? b.displayName.trim() : "";
    // Spaces are allowed inside a name ("Bob Smith"), not at its ends (the value is trimmed above).
    if (!/^[\w.@+ -]{1,64}$/.test(displayName)) fail("adminDisplayNameInvalid");
    const email = typeof b.email === "string" ? b.email.trim().toLowerCase() : null;
    if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email)) fail("adminEmailInvalid");
    const user: User = { id: randomHex(32), displayName, email, maxBuckets: parseMaxBuckets(b.maxBuckets) ?? 20, createdAt: Date.now() };
    if (!(await meta.users.create(user))) fail("UserAlreadyExists");
    return json(userJson(user), 201);
  });
  router.get("/users", async () => json({ users: (await meta.users.list()).map(userJson) }));
  router.get("/users/:id", async (req) => {
    const u = await meta.users.get(req.params.id);
    return u ? json(userJson(u)) : fail("NoSuchUser");
  });
  router.patch("/users/:id", async (req) => {
    const maxBuckets = parseMaxBuckets((await body(req)).maxBuckets);
    if (maxBuckets === undefined) fail("adminNothingToChange");
    if (!(await meta.users.setMaxBuckets(req.params.id, maxBuckets!))) fail("NoSuchUser");
    return json(userJson((await meta.users.get(req.params.id))!));
  });
  router.delete("/users/:id", async (req) => {
    const keys = await meta.keys.list(req.params.id);
    const r = await meta.users.delete(req.params.id);
    if (r === "missing") fail("NoSuchUser");
    if (r === "owns-buckets") fail("UserOwnsBuckets");
    for (const k of keys) forgetAccessKey(k.accessKeyId);
    return new Response(null, { status: 204 });
  });

  router.post("/keys", async (req) => {
    const b = await body(req);
    const userId = typeof b.userId === "string" ? b.userId : "";
    if (!(await meta.users.get(userId))) fail("NoSuchUser");
    const bucket = b.bucket === undefined || b.bucket === null ? null : String(b.bucket);
    const problem = bucket === null ? null : bucketNameProblem(bucket);
    if (problem) fail("adminKeyBucketInvalid", { problem });
    const { accessKeyId, secretAccessKey } = generateKeyPair();
    const key: AccessKey = {
      accessKeyId,
      userId,
      secretEnc: await encryptSecret(deps.env.SOS_MASTER_KEY!, secretAccessKey),
      bucket,
      operations: parseOperations(b.operations),
      enabled: true,
      createdAt: Date.now(),
    };
    await meta.keys.create(key);
    // The secret is shown once, here, and stored only encrypted.
    return json({ ...keyJson(key), secretAccessKey }, 201);
  });
  router.get("/keys", async (req) => json({ keys: (await meta.keys.list((req.query.userId as string) || undefined)).map(keyJson) }));
  router.patch("/keys/:id", async (req) => {
    const b = await body(req);
    if (typeof b.enabled !== "boolean") fail("adminEnabledMissing");
    if (!(await meta.keys.setEnabled(req.params.id, b.enabled as boolean))) fail("NoSuchAccessKey");
    forgetAccessKey(req.params.id);
    return json(keyJson((await meta.keys.get(req.params.id))!));
  });
  router.delete("/keys/:id", async (req) => {
    if (!(await meta.keys.delete(req.params.id))) fail("NoSuchAccessKey");
    forgetAccessKey(req.params.id);
    return new Response(null, { status: 204 });
  });

  router.get("/usage", async (req) => {
    const only = (req.query.bucket as string) || undefined;
    const buckets = (await meta.buckets.listAll()).filter((b) => !only || b.name === only);
    if (only && buckets.length === 0) fail("NoSuchBucket");
    const rows = [];
    for (const b of buckets) rows.push({ name: b.name, owner: b.ownerId, zone: b.zone, ...(await meta.buckets.usage(b.id)) });
    return json({ buckets: rows });
  });

  // Job messages that failed their last attempt (src/jobs/consumer.ts); replay sends one again.
  const deadLetterJson = (d: Awaited<ReturnType<typeof meta.jobs.deadLetters>>[number]) => ({
    id: d.id,
    kind: d.kind,
    attempts: d.attempts,
    failedAt: new Date(d.failedAt).toISOString(),
    error: d.error.split("\n")[0],
    message: JSON.parse(d.body),
  });
  router.get("/jobs/dead-letters", async () => json({ deadLetters: (await meta.jobs.deadLetters()).map(deadLetterJson) }));
  router.post("/jobs/dead-letters/:id/replay", async (req) => {
    const d = await meta.jobs.deadLetter(req.params.id);
    if (!d) fail("NoSuchDeadLetter");
    // Sent first, dropped after: a crash in between leaves the row, and a second replay only repeats an idempotent job.
    await sendJobs(deps.env, [JSON.parse(d!.body) as JobMessage]);
    await meta.jobs.dropDeadLetter(d!.id);
    return json({ replayed: deadLetterJson(d!) });
  });

  // Zone replicas: per zone, blobs with and without a replica copy, and SSE-C blobs that cannot have one.
  router.get("/replicas", async () => {
    const zones = [];
    for (const zone of deps.config.zones) {
      zones.push({ replica: deps.blobs.hasReplica(zone), ...(await meta.replicas.counts(zone)) });
    }
    return json({ zones });
  });

  router.all("*", () => fail("NotFound"));
  return router;
}

export async function handleAdmin(request: Request, _url: URL, deps: Deps): Promise<Response> {
  try {
    const expected = deps.env.SOS_ADMIN_TOKEN;
    if (!expected) fail("adminNotConfigured", { problem: secretNotSet("SOS_ADMIN_TOKEN") });
    const missing = missingSecret(deps.env);
    if (missing) fail("adminNotSetUp", { problem: missing });
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
    if (!expected || !presented || !(await tokenMatches(presented, expected))) {
      fail("AdminUnauthorized");
    }
    return await buildRouter(deps).fetch(request);
  } catch (e) {
    return errorJson(e);
  }
}

/** The admin API's error shape, `{code, message}` with the code's status, for any thrown value. */
function errorJson(e: unknown): Response {
  let err: S3Error;
  if (e instanceof S3Error) err = e;
  else {
    const setup = setupProblem(e);
    if (!setup) console.error("admin error", e);
    err = setup ? new S3Error("adminNotSetUp", { problem: setup }) : new S3Error("adminInternalError");
  }
  return json({ code: err.code, message: err.message }, err.status);
}
