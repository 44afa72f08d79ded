/**
 * Admin API (JSON over HTTP, bearer SOS_ADMIN_TOKEN), outside the S3 namespace under /_admin:
 * users, access keys, bucket quotas and usage. `bin/sos-admin.mjs` is its CLI.
 */
import { IttyRouter, type IRequest } from "itty-router";
import { sha256Hex, timingSafeEqual } from "../auth/crypto";
import type { Deps } from "../context";
import { forgetAccessKey } from "../identity";
import { encryptSecret, generateKeyPair, randomHex } from "../logic/secrets";
import type { AccessKey, KeyOperations, User } from "../store/model";
import { bucketNameProblem } from "../logic/names";
import { ADMIN_PREFIX, OPERATION_NAMES } from "../router";
import { missingSecret, secretNotSet, setupProblem } from "../setup-check";

type AdminError = { status: number; code: string; message: string };

const fail = (status: number, code: string, message: string): never => {
  throw { status, code, message } satisfies AdminError;
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Constant-time comparison of the presented token with the configured one (hashed first, so lengths do not leak). */
async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return timingSafeEqual(a, b);
}

const userJson = (u: User) => ({ userId: u.id, displayName: u.displayName, email: u.email, maxBuckets: u.maxBuckets, createdAt: new Date(u.createdAt).toISOString() });

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
  return fail(400, "InvalidRequest", "The body must be a JSON object.");
}

function parseOperations(v: unknown): KeyOperations {
  if (v === undefined || v === null) return "full";
  if (v === "full" || v === "read-only" || v === "write-only") return v;
  const list = typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v;
  if (Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === "string")) {
    // A misspelt name (or an IAM action such as "ListBucket") would silently grant nothing: refuse it.
    const unknown = list.filter((s) => !OPERATION_NAMES.has(s));
    if (unknown.length === 0) return [...new Set(list as string[])];
    return fail(400, "InvalidRequest", `Unknown S3 operation name(s): ${unknown.join(", ")} (use names such as GetObject, ListObjectsV2).`);
  }
  return fail(400, "InvalidRequest", 'operations must be "full", "read-only", "write-only" or a list of S3 operation names.');
}

function parseMaxBuckets(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 100000) return v;
  return fail(400, "InvalidRequest", "maxBuckets must be a non-negative integer.");
}

function buildRouter(deps: Deps) {
  const { meta } = deps;
  const router = IttyRouter({ base: ADMIN_PREFIX });

  router.post("/users", async (req) => {
    const b = await body(req);
    const displayName = typeof b.displayName === "string" ? b.displayName.trim() : "";
    // Spaces are allowed inside a name ("Bob Smith"), not at its ends (the value is trimmed above).
    if (!/^[\w.@+ -]{1,64}$/.test(displayName)) fail(400, "InvalidRequest", "displayName must be 1-64 characters of letters, digits, spaces and ._@+-");
    const email = typeof b.email === "string" ? b.email.trim().toLowerCase() : null;
    if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email)) fail(400, "InvalidRequest", "email must be an e-mail address.");
    const user: User = { id: randomHex(32), displayName, email, maxBuckets: parseMaxBuckets(b.maxBuckets) ?? 20, createdAt: Date.now() };
    if (!(await meta.users.create(user))) fail(409, "UserAlreadyExists", "A user with that display name or email already exists.");
    return json(userJson(user), 201);
  });
  router.get("/users", async () => json({ users: (await meta.users.list()).map(userJson) }));
  router.get("/users/:id", async (req) => {
    const u = await meta.users.get(req.params.id);
    return u ? json(userJson(u)) : fail(404, "NoSuchUser", "The specified user does not exist.");
  });
  router.patch("/users/:id", async (req) => {
    const maxBuckets = parseMaxBuckets((await body(req)).maxBuckets);
    if (maxBuckets === undefined) fail(400, "InvalidRequest", "Nothing to change: give maxBuckets.");
    if (!(await meta.users.setMaxBuckets(req.params.id, maxBuckets!))) fail(404, "NoSuchUser", "The specified user does not exist.");
    return json(userJson((await meta.users.get(req.params.id))!));
  });
  router.delete("/users/:id", async (req) => {
    const keys = await meta.keys.list(req.params.id);
    const r = await meta.users.delete(req.params.id);
    if (r === "missing") fail(404, "NoSuchUser", "The specified user does not exist.");
    if (r === "owns-buckets") fail(409, "UserOwnsBuckets", "Delete the user's buckets first.");
    keys.forEach((k) => forgetAccessKey(k.accessKeyId));
    return new Response(null, { status: 204 });
  });

  router.post("/keys", async (req) => {
    const b = await body(req);
    const userId = typeof b.userId === "string" ? b.userId : "";
    if (!(await meta.users.get(userId))) fail(404, "NoSuchUser", "The specified user does not exist.");
    const bucket = b.bucket === undefined || b.bucket === null ? null : String(b.bucket);
    const problem = bucket === null ? null : bucketNameProblem(bucket);
    if (problem) fail(400, "InvalidRequest", `bucket must be a valid bucket name: ${problem}`);
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
    if (typeof b.enabled !== "boolean") fail(400, "InvalidRequest", "Give enabled: true or false.");
    if (!(await meta.keys.setEnabled(req.params.id, b.enabled as boolean))) fail(404, "NoSuchAccessKey", "The specified access key does not exist.");
    forgetAccessKey(req.params.id);
    return json(keyJson((await meta.keys.get(req.params.id))!));
  });
  router.delete("/keys/:id", async (req) => {
    if (!(await meta.keys.delete(req.params.id))) fail(404, "NoSuchAccessKey", "The specified access key does not exist.");
    forgetAccessKey(req.params.id);
    return new Response(null, { status: 204 });
  });

  router.get("/usage", async (req) => {
    const only = (req.query.bucket as string) || undefined;
    const buckets = (await meta.buckets.listAll()).filter((b) => !only || b.name === only);
    if (only && buckets.length === 0) fail(404, "NoSuchBucket", "The specified bucket does not exist.");
    const rows = [];
    for (const b of buckets) rows.push({ name: b.name, owner: b.ownerId, zone: b.zone, ...(await meta.buckets.usage(b.id)) });
    return json({ buckets: rows });
  });

  router.all("*", () => fail(404, "NotFound", "No such admin endpoint."));
  return router;
}

export async function handleAdmin(request: Request, _url: URL, deps: Deps): Promise<Response> {
  try {
    const expected = deps.env.SOS_ADMIN_TOKEN;
    if (!expected) fail(503, "NotConfigured", `The admin API is not configured: ${secretNotSet("SOS_ADMIN_TOKEN")}`);
    const missing = missingSecret(deps.env);
    if (missing) fail(503, "NotConfigured", `This sos-worker deployment is not set up: ${missing}`);
    const presented = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
    if (!expected || !presented || !(await tokenMatches(presented, expected))) {
      fail(401, "AdminUnauthorized", "A valid admin bearer token is required.");
    }
    return await buildRouter(deps).fetch(request);
  } catch (e) {
    const err = e as Partial<AdminError>;
    if (typeof err?.status === "number" && typeof err.code === "string") return json({ code: err.code, message: err.message }, err.status);
    const setup = setupProblem(e);
    if (setup) return json({ code: "NotConfigured", message: `This sos-worker deployment is not set up: ${setup}` }, 503);
    console.error("admin error", e);
    return json({ code: "InternalError", message: "Internal error." }, 500);
  }
}
