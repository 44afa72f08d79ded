// Argument parsing and request building of bin/sos-admin.mjs (no server needed).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, parseOps, resolveEndpoint, resolveToken, run, tokenize } from "../../bin/sos-admin.mjs";

describe("sos-admin argument parsing", () => {
  it("user create with options in any position and --opt=value form", () => {
    const p = parseArgs(["--json", "user", "create", "alice", "--email=a@example.com", "--max-buckets", "5", "--endpoint", "http://x:1"]);
    expect(p.json).toBe(true);
    expect(p.endpoint).toBe("http://x:1");
    expect(p.command).toBe("user create");
    expect(p.request).toEqual({ method: "POST", path: "/_admin/users", body: { displayName: "alice", email: "a@example.com", maxBuckets: 5 } });
  });

  it("user create without optional fields sends only displayName", () => {
    expect(parseArgs(["user", "create", "Bob Smith"]).request).toEqual({ method: "POST", path: "/_admin/users", body: { displayName: "Bob Smith" } });
  });

  it("user list/get/delete/quota", () => {
    expect(parseArgs(["user", "list"]).request).toEqual({ method: "GET", path: "/_admin/users" });
    expect(parseArgs(["user", "get", "u/1"]).request).toEqual({ method: "GET", path: "/_admin/users/u%2F1" });
    expect(parseArgs(["user", "delete", "u1"]).request).toEqual({ method: "DELETE", path: "/_admin/users/u1" });
    expect(parseArgs(["user", "quota", "u1", "12"]).request).toEqual({ method: "PATCH", path: "/_admin/users/u1", body: { maxBuckets: 12 } });
  });

  it("key create with presets and explicit operation lists", () => {
    expect(parseArgs(["key", "create", "--user", "u1"]).request).toEqual({ method: "POST", path: "/_admin/keys", body: { userId: "u1" } });
    expect(parseArgs(["key", "create", "--user", "u1", "--bucket", "b", "--ops", "read-only"]).request?.body).toEqual({
      userId: "u1",
      bucket: "b",
      operations: "read-only",
    });
    expect(parseArgs(["key", "create", "--user=u1", "--ops", "GetObject, PutObject"]).request?.body).toEqual({
      userId: "u1",
      operations: ["GetObject", "PutObject"],
    });
  });

  it("key list/enable/disable/delete and usage", () => {
    expect(parseArgs(["key", "list"]).request).toEqual({ method: "GET", path: "/_admin/keys" });
    expect(parseArgs(["key", "list", "--user", "u 1"]).request).toEqual({ method: "GET", path: "/_admin/keys?userId=u%201" });
    expect(parseArgs(["key", "disable", "EXO1"]).request).toEqual({ method: "PATCH", path: "/_admin/keys/EXO1", body: { enabled: false } });
    expect(parseArgs(["key", "enable", "EXO1"]).request).toEqual({ method: "PATCH", path: "/_admin/keys/EXO1", body: { enabled: true } });
    expect(parseArgs(["key", "delete", "EXO1"]).request).toEqual({ method: "DELETE", path: "/_admin/keys/EXO1" });
    expect(parseArgs(["usage"]).request).toEqual({ method: "GET", path: "/_admin/usage" });
    expect(parseArgs(["usage", "--bucket", "b1"]).request).toEqual({ method: "GET", path: "/_admin/usage?bucket=b1" });
  });

  it("help", () => {
    expect(parseArgs([]).help).toBe(true);
    expect(parseArgs(["--help"]).help).toBe(true);
    expect(parseArgs(["user", "list", "-h"]).help).toBe(true);
  });

  it("rejects bad usage", () => {
    expect(() => parseArgs(["frobnicate"])).toThrow(/unknown command/);
    expect(() => parseArgs(["user", "create"])).toThrow(/usage/);
    expect(() => parseArgs(["user", "create", "a", "b"])).toThrow(/usage/);
    expect(() => parseArgs(["user", "create", "a", "--max-buckets", "x"])).toThrow(/integer/);
    expect(() => parseArgs(["user", "quota", "u1", "-3"])).toThrow(/integer/);
    expect(() => parseArgs(["key", "create"])).toThrow(/--user/);
    expect(() => parseArgs(["key", "create", "--user", "u", "--email", "e"])).toThrow(/not valid/);
    expect(() => parseArgs(["user", "list", "--bogus"])).toThrow(/unknown option/);
    expect(() => parseArgs(["user", "get", "--token"])).toThrow(/needs a value/);
    expect(() => parseArgs(["--json=1", "user", "list"])).toThrow(/takes no value/);
    expect(() => parseOps("Get-Object")).toThrow(/invalid operation/);
    expect(() => parseOps(",")).toThrow();
  });

  it("tokenize keeps everything after -- positional", () => {
    expect(tokenize(["user", "create", "--", "--weird-name"])).toEqual({ positionals: ["user", "create", "--weird-name"], options: {} });
  });

  it("endpoint and token resolution", () => {
    expect(resolveEndpoint(undefined, {})).toBe("http://127.0.0.1:8787");
    expect(resolveEndpoint(undefined, { SOS_ENDPOINT: "http://h:9/" })).toBe("http://h:9");
    expect(resolveEndpoint("http://a:1", { SOS_ENDPOINT: "http://h:9" })).toBe("http://a:1");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sos-admin-"));
    try {
      fs.writeFileSync(path.join(dir, "sos-dev-credentials.json"), JSON.stringify({ SOS_ADMIN_TOKEN: "from-file" }));
      expect(resolveToken("cli", { SOS_ADMIN_TOKEN: "env" })).toBe("cli");
      expect(resolveToken(undefined, { SOS_ADMIN_TOKEN: "env", SOS_STATE_DIR: dir })).toBe("env");
      expect(resolveToken(undefined, { SOS_STATE_DIR: dir })).toBe("from-file");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sos-admin run() against a fake fetch", () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
  }

  it("sends bearer token and JSON body, prints JSON", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      seen.push({ url, init });
      return new Response(JSON.stringify({ userId: "u1", displayName: "alice", email: null, maxBuckets: 100 }), { status: 201 });
    }) as unknown as typeof fetch;
    const s = io();
    const code = await run(["user", "create", "alice", "--json"], { env: { SOS_ADMIN_TOKEN: "tok", SOS_ENDPOINT: "http://e:1" }, fetchImpl, ...s });
    expect(code).toBe(0);
    expect(seen[0].url).toBe("http://e:1/_admin/users");
    expect(seen[0].init.method).toBe("POST");
    expect((seen[0].init.headers as Record<string, string>).authorization).toBe("Bearer tok");
    expect(JSON.parse(seen[0].init.body as string)).toEqual({ displayName: "alice" });
    expect(JSON.parse(s.out.join(""))).toMatchObject({ userId: "u1", displayName: "alice" });
  });

  it("server errors go to stderr with exit 1", async () => {
    const fetchImpl = (async () => new Response(JSON.stringify({ code: "NoSuchUser", message: "no such user" }), { status: 404 })) as unknown as typeof fetch;
    const s = io();
    const code = await run(["user", "get", "nope"], { env: { SOS_ADMIN_TOKEN: "tok" }, fetchImpl, ...s });
    expect(code).toBe(1);
    expect(s.out.join("")).toBe("");
    expect(s.err.join("")).toContain("NoSuchUser");
  });

  it("204 delete prints a line; usage error exits 2", async () => {
    const fetchImpl = (async () => new Response(null, { status: 204 })) as unknown as typeof fetch;
    const s = io();
    expect(await run(["user", "delete", "u1"], { env: { SOS_ADMIN_TOKEN: "t" }, fetchImpl, ...s })).toBe(0);
    expect(s.out.join("")).toContain("deleted user u1");
    const s2 = io();
    expect(await run(["user"], { env: { SOS_ADMIN_TOKEN: "t" }, fetchImpl, ...s2 })).toBe(2);
  });

  it("table output for lists", async () => {
    const fetchImpl = (async () =>
      Response.json({
        keys: [{ accessKeyId: "EXOA", userId: "u1", bucket: null, operations: ["GetObject"], enabled: true, createdAt: "2026-01-01" }],
      })) as unknown as typeof fetch;
    const s = io();
    expect(await run(["key", "list"], { env: { SOS_ADMIN_TOKEN: "t" }, fetchImpl, ...s })).toBe(0);
    const lines = s.out.join("").trim().split("\n");
    expect(lines[0]).toMatch(/^accessKeyId\s+userId\s+bucket\s+operations\s+enabled\s+createdAt$/);
    expect(lines[1]).toMatch(/^EXOA\s+u1\s+-\s+GetObject\s+true\s+2026-01-01$/);
  });
});
