/**
 * A LOCAL STAND-IN for the Cloudflare REST API (https://api.cloudflare.com/client/v4), NOT the real
 * service: just enough of it, in memory, for the real wrangler CLI to run `npm run deploy` against it
 * (point wrangler at it with CLOUDFLARE_API_BASE_URL). It records every call so that tests can assert
 * what a deploy created or changed. D1 queries run on a real local D1 (Miniflare), so remote
 * migrations really execute; everything else (scripts, secrets, R2 buckets, queues) is bookkeeping.
 * Endpoints and response shapes follow what wrangler 4.86 calls and reads (node_modules/wrangler).
 */
import { Log, LogLevel, Miniflare } from "miniflare";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { unstable_splitSqlQuery } from "wrangler";

export type RecordedCall = { method: string; path: string; query: Record<string, string>; body: string };

export type UploadMetadata = {
  main_module?: string;
  bindings?: { type: string; name: string; text?: string }[];
  keep_bindings?: string[];
  assets?: { jwt: string; config?: { _headers?: string; run_worker_first?: unknown; html_handling?: string } };
};
/** A static-assets manifest as wrangler sends it: path -> content hash and size. */
export type AssetManifest = Record<string, { hash: string; size: number }>;
type D1Info = { uuid: string; name: string; created_at: string; version: string; primary_location_hint?: string };
type R2Info = { name: string; creation_date: string; location?: string; jurisdiction?: string };
type QueueConsumer = { consumer_id: string; type: "worker"; script: string; settings: Record<string, unknown> };
type QueueInfo = { queue_id: string; queue_name: string; created_on: string; modified_on: string; consumers: QueueConsumer[] };
type ScriptInfo = { name: string; uploads: number; secrets: Map<string, string>; bindings: Record<string, unknown>[]; crons: string[]; versions: string[] };

const ok = (result: unknown, result_info?: unknown) => ({ success: true, errors: [], messages: [], result, ...(result_info ? { result_info } : {}) });
const failure = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [], result: null });

export class CloudflareApiStandIn {
  readonly calls: RecordedCall[] = [];
  readonly databases = new Map<string, D1Info>();
  readonly buckets = new Map<string, R2Info>();
  readonly queues = new Map<string, QueueInfo>();
  readonly scripts = new Map<string, ScriptInfo>();
  /** The metadata part of every script upload (bindings, keep_bindings, ...), in order. */
  readonly uploads: { script: string; metadata: UploadMetadata }[] = [];
  /** Static-asset contents by hash (Workers static assets: upload session, then buckets of files). */
  readonly assets = new Map<string, Buffer>();
  /** The manifest of every assets upload session, in order. */
  readonly assetManifests: AssetManifest[] = [];
  private assetSessions = 0;
  readonly subdomain = "stand-in";
  private server?: http.Server;
  private sql?: Miniflare;

  constructor(readonly accountId = "0123456789abcdef0123456789abcdef") {}

  /** Starts listening on 127.0.0.1 (port 0 = any free port); returns the base URL for CLOUDFLARE_API_BASE_URL. */
  async start(port = 0): Promise<string> {
    // One real local D1 database backs whichever database the deploy creates.
    this.sql = new Miniflare({ modules: true, script: "export default {}", d1Databases: { DB: "stand-in" }, cf: false, log: new Log(LogLevel.WARN) });
    await this.sql.ready;
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/client/v4`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.sql?.dispose();
  }

  /** Calls that change state (anything but GET), as "METHOD /path" without the account prefix. */
  writes(): string[] {
    return this.calls.filter((c) => c.method !== "GET").map((c) => `${c.method} ${c.path.replace(`/accounts/${this.accountId}`, "")}`);
  }

  /** Runs SQL on the stand-in's D1 database (for assertions). */
  async query(sql: string): Promise<unknown[]> {
    const db = await this.sql!.getD1Database("DB");
    return (await db.prepare(sql).all()).results;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://stand-in");
    const path = url.pathname.replace(/^\/client\/v4/, "");
    const call: RecordedCall = { method: req.method ?? "GET", path, query: Object.fromEntries(url.searchParams), body: raw.toString("utf8") };
    this.calls.push(call);
    let status = 200;
    let payload: unknown;
    try {
      const r = await this.route(call, req.headers, raw);
      [status, payload] = r ?? [404, failure(7003, `Could not route to ${path}, perhaps your object identifier is invalid? (stand-in: unhandled)`)];
    } catch (e) {
      [status, payload] = [500, failure(10000, `stand-in error: ${(e as Error).message}`)];
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(payload));
  }

  private async route(call: RecordedCall, headers: http.IncomingHttpHeaders, raw: Buffer): Promise<[number, unknown] | undefined> {
    const { method } = call;
    const m = call.path.match(/^\/accounts\/([^/]+)(\/.*)$/);
    if (!m) {
      if (call.path === "/user/tokens/verify") return [200, ok({ id: "token", status: "active" })];
      if (call.path === "/memberships") return [200, ok([{ account: { id: this.accountId, name: "Stand-in account" } }])];
      if (call.path === "/user") return [200, ok({ email: "user@example.com" })];
      return undefined;
    }
    if (m[1] !== this.accountId) return [403, failure(9109, "Unauthorized to access requested resource")];
    const p = m[2];
    const json = () => (raw.length ? JSON.parse(raw.toString("utf8")) : {});
    let g: RegExpMatchArray | null;

    // ---- D1
    if (p === "/d1/database" && method === "GET") {
      const name = call.query.name;
      const all = [...this.databases.values()].filter((d) => !name || d.name === name);
      const page = Number(call.query.page ?? 1);
      const perPage = Number(call.query.per_page ?? 1000);
      return [200, ok(all.slice((page - 1) * perPage, page * perPage), { page, per_page: perPage, count: all.length, total_count: all.length })];
    }
    if (p === "/d1/database" && method === "POST") {
      const { name, primary_location_hint } = json();
      if ([...this.databases.values()].some((d) => d.name === name)) return [400, failure(7502, "A database with that name already exists")];
      if (this.databases.size > 0) throw new Error("the stand-in backs one D1 database only");
      const db: D1Info = {
        uuid: randomUUID(),
        name,
        created_at: new Date().toISOString(),
        version: "production",
        ...(primary_location_hint ? { primary_location_hint } : {}),
      };
      this.databases.set(db.uuid, db);
      return [200, ok(db)];
    }
    if ((g = p.match(/^\/d1\/database\/([^/]+)$/)) && method === "GET") {
      const db = this.databases.get(g[1]) ?? [...this.databases.values()].find((d) => d.name === g![1]);
      return db
        ? [200, ok({ ...db, num_tables: 0, file_size: 0, running_in_region: "WEUR" })]
        : [404, failure(7404, `The database ${g[1]} could not be found`)];
    }
    if ((g = p.match(/^\/d1\/database\/([^/]+)\/(query|raw)$/)) && method === "POST") {
      if (!this.databases.has(g[1])) return [404, failure(7404, `The database ${g[1]} could not be found`)];
      const db = await this.sql!.getD1Database("DB");
      const { sql, params } = json();
      const out = [];
      for (const statement of unstable_splitSqlQuery(sql)) {
        const r = await db
          .prepare(statement)
          .bind(...(params ?? []))
          .all();
        out.push({ results: r.results, success: true, meta: { ...r.meta, duration: 1, changes: r.meta.changes ?? 0, served_by: "stand-in" } });
      }
      return [200, ok(out)];
    }

    // ---- R2 (a jurisdiction travels in the cf-r2-jurisdiction header)
    if (p === "/r2/buckets" && method === "GET") {
      return [200, ok({ buckets: [...this.buckets.values()] }, { cursor: "", per_page: 1000 })];
    }
    if (p === "/r2/buckets" && method === "POST") {
      const { name, locationHint } = json();
      if (this.buckets.has(name)) return [409, failure(10004, "The bucket you tried to create already exists, and you own it.")];
      const jurisdiction = headers["cf-r2-jurisdiction"] as string | undefined;
      const b: R2Info = {
        name,
        creation_date: new Date().toISOString(),
        ...(locationHint ? { location: locationHint } : {}),
        ...(jurisdiction ? { jurisdiction } : {}),
      };
      this.buckets.set(name, b);
      return [200, ok(b)];
    }
    if ((g = p.match(/^\/r2\/buckets\/([^/]+)$/)) && method === "GET") {
      const b = this.buckets.get(g[1]);
      return b ? [200, ok(b)] : [404, failure(10006, "The specified bucket does not exist.")];
    }

    // ---- Queues
    // A queue as the API lists it (wrangler's `queues list` table and its deploy read these fields).
    const queueJson = (q: QueueInfo) => ({ ...q, producers: [], producers_total_count: 0, consumers_total_count: q.consumers.length });
    const queueById = (id: string) => [...this.queues.values()].find((x) => x.queue_id === id || x.queue_name === id);
    if (p === "/queues" && method === "GET") {
      // ?name= filters by name, as wrangler's deploy asks for the queue it binds (one here).
      const all = [...this.queues.values()].filter((q) => !call.query.name || q.queue_name === call.query.name);
      return [200, ok(all.map(queueJson), { page: 1, per_page: 100, count: all.length, total_count: all.length })];
    }
    if (p === "/queues" && method === "POST") {
      const { queue_name } = json();
      const now = new Date().toISOString();
      const q: QueueInfo = { queue_id: randomUUID().replace(/-/g, ""), queue_name, created_on: now, modified_on: now, consumers: [] };
      this.queues.set(queue_name, q);
      return [200, ok(queueJson(q))];
    }
    if ((g = p.match(/^\/queues\/([^/]+)$/)) && method === "GET") {
      const q = queueById(g[1]);
      return q ? [200, ok(queueJson(q))] : [404, failure(11000, "Queue does not exist")];
    }
    // The Worker as the queue's consumer: created by the first deploy, updated by the next ones.
    if ((g = p.match(/^\/queues\/([^/]+)\/consumers(?:\/([^/]+))?$/)) && (method === "POST" || method === "PUT")) {
      const q = queueById(g[1]);
      if (!q) return [404, failure(11000, "Queue does not exist")];
      const { script_name, settings } = json();
      const existing = q.consumers.find((c) => c.consumer_id === g![2]);
      if (method === "PUT" && !existing) return [404, failure(11000, "Consumer does not exist")];
      const consumer = existing ?? { consumer_id: randomUUID().replace(/-/g, ""), type: "worker" as const, script: script_name, settings };
      consumer.settings = settings;
      if (!existing) q.consumers.push(consumer);
      return [200, ok(consumer)];
    }

    // ---- Workers
    if (p === "/workers/subdomain" && method === "GET") return [200, ok({ subdomain: this.subdomain })];
    if (p === "/workers/assets/upload" && method === "POST") {
      if (!/^Bearer upload-/.test(String(headers.authorization ?? ""))) return [401, failure(10000, "The assets upload needs the session's JWT")];
      const base64 = call.query.base64 === "true";
      for (const part of parseMultipart(raw, headers["content-type"] ?? ""))
        this.assets.set(part.name, base64 ? Buffer.from(part.body.toString("latin1"), "base64") : part.body);
      return [201, ok({ jwt: `completion-${this.assetSessions}` })];
    }
    if ((g = p.match(/^\/workers\/(?:scripts|services)\/([^/]+)(\/.*)?$/))) return this.worker(g[1], g[2] ?? "", method, raw, headers, json);
    return undefined;
  }

  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON whose fields the test reads
  private worker(name: string, rest: string, method: string, raw: Buffer, headers: http.IncomingHttpHeaders, json: () => any): [number, unknown] | undefined {
    const script = this.scripts.get(name);
    const notFound: [number, unknown] = [404, failure(10007, `This Worker does not exist on your account.`)];
    // A first deploy PUTs the script; later ones POST a version and then a deployment of it.
    if (rest === "/assets-upload-session" && method === "POST") {
      // Asks for the files whose content the account does not have yet, in buckets of at most 10.
      const { manifest } = json() as { manifest: AssetManifest };
      this.assetManifests.push(manifest);
      const n = ++this.assetSessions;
      const missing = [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !this.assets.has(h));
      const buckets = [];
      for (let i = 0; i < missing.length; i += 10) buckets.push(missing.slice(i, i + 10));
      return [200, ok({ jwt: missing.length ? `upload-${n}` : `completion-${n}`, buckets })];
    }
    const isUpload = (rest === "" && method === "PUT") || (rest === "/versions" && method === "POST" && script);
    if (isUpload) {
      const metadata = parseUploadMetadata(raw, headers["content-type"] ?? "");
      this.uploads.push({ script: name, metadata });
      const s: ScriptInfo = script ?? { name, uploads: 0, secrets: new Map(), bindings: [], crons: [], versions: [] };
      s.uploads++;
      // Secrets named in the upload are set; the others are kept only when keep_bindings says so.
      if (!(metadata.keep_bindings ?? []).includes("secret_text")) s.secrets.clear();
      for (const b of metadata.bindings ?? []) if (b.type === "secret_text") s.secrets.set(b.name, b.text ?? "");
      s.bindings = (metadata.bindings ?? []).filter((b: { type: string }) => b.type !== "secret_text");
      const versionId = randomUUID();
      s.versions.push(versionId);
      this.scripts.set(name, s);
      return [
        200,
        ok({ id: versionId, etag: `etag-${s.uploads}`, startup_time_ms: 5, deployment_id: versionId, resources: { script: { etag: `etag-${s.uploads}` } } }),
      ];
    }
    if (!script) return notFound;
    if (rest === "" && method === "GET") {
      return [
        200,
        ok({
          id: name,
          default_environment: { environment: "production", script: { id: name, tag: `tag-${name}`, tags: [], last_deployed_from: "wrangler" } },
        }),
      ];
    }
    const latest = script.versions.at(-1);
    if (rest === "/deployments" && method === "GET")
      return [200, ok({ deployments: [{ id: `dep-${latest}`, versions: [{ version_id: latest, percentage: 100 }] }] })];
    if (rest === "/deployments" && method === "POST") return [200, ok({ id: `dep-${latest}`, versions: [{ version_id: latest, percentage: 100 }] })];
    if (rest.match(/^\/versions\/([^/]+)$/) && method === "GET")
      return [200, ok({ id: rest.slice(10), metadata: {}, number: script.versions.indexOf(rest.slice(10)) + 1 })];
    if (rest === "/settings" && method === "GET") {
      const secretBindings = [...script.secrets.keys()].map((n) => ({ type: "secret_text", name: n }));
      return [
        200,
        ok({ bindings: [...script.bindings, ...secretBindings], compatibility_date: "2026-04-26", compatibility_flags: [], placement: {}, tags: [] }),
      ];
    }
    if (rest === "/secrets" && method === "GET") return [200, ok([...script.secrets.keys()].map((n) => ({ name: n, type: "secret_text" })))];
    if (rest === "/secrets" && method === "PUT") {
      const { name: secretName, text } = json();
      script.secrets.set(secretName, text);
      return [200, ok({ name: secretName, type: "secret_text" })];
    }
    if (rest === "/schedules" && method === "PUT") {
      script.crons = (json() as { cron: string }[]).map((c) => c.cron);
      return [200, ok({ schedules: script.crons.map((cron) => ({ cron })) })];
    }
    if (rest === "/schedules" && method === "GET") return [200, ok({ schedules: script.crons.map((cron) => ({ cron })) })];
    if (rest === "/subdomain" && method === "GET") return [200, ok({ enabled: true, previews_enabled: true })];
    if (rest === "/subdomain" && method === "POST") return [200, ok({ enabled: true, previews_enabled: true })];
    if (rest === "/script-settings" && method === "PATCH") return [200, ok({})];
    if (rest === "/routes" && method === "GET") return [200, ok([])];
    return undefined;
  }
}

/** The parts of a multipart/form-data body: field name and raw bytes. */
function parseMultipart(raw: Buffer, contentType: string): { name: string; body: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return [];
  const text = raw.toString("latin1");
  return text.split(`--${boundary[1] ?? boundary[2]}`).flatMap((part) => {
    const [head, ...body] = part.split("\r\n\r\n");
    const name = /name="([^"]*)"/.exec(head)?.[1];
    return name === undefined ? [] : [{ name, body: Buffer.from(body.join("\r\n\r\n").replace(/\r\n$/, ""), "latin1") as Buffer }];
  });
}

/** The `metadata` part of a multipart/form-data script upload. */
function parseUploadMetadata(raw: Buffer, contentType: string): UploadMetadata {
  const part = parseMultipart(raw, contentType).find((p) => p.name === "metadata");
  return part ? JSON.parse(part.body.toString("utf8")) : {};
}
