import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import {
  CORS_VARY,
  corsResponseHeaders,
  deserializeCors,
  matchCorsRule,
  parseRequestHeaderList,
  preflightResponseHeaders,
  serializeCors,
  validateCorsRules,
  type CorsRule,
} from "./cors";

const rule = (r: Partial<CorsRule> = {}): CorsRule => ({ allowedOrigins: ["*"], allowedMethods: ["GET"], allowedHeaders: [], exposeHeaders: [], ...r });

function errorOf(f: () => unknown): { code: string; status: number; message: string; details: unknown } | undefined {
  try {
    f();
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    return { code: e.code, status: e.status, message: e.message, details: e.details };
  }
  return undefined;
}

const headers = (h: Record<string, string>) => new Headers(h);

describe("validateCorsRules", () => {
  it("accepts a full rule and 100 rules", () => {
    const full = rule({
      id: "r",
      allowedOrigins: ["https://*.example.com"],
      allowedMethods: ["GET", "PUT", "POST", "DELETE", "HEAD"],
      allowedHeaders: ["x-amz-*"],
      exposeHeaders: ["ETag"],
      maxAgeSeconds: 0,
    });
    expect(validateCorsRules([full])).toEqual([full]);
    expect(validateCorsRules(Array.from({ length: 100 }, () => rule()))).toHaveLength(100);
  });

  it.each<[string, CorsRule[]]>([
    ["no rule", []],
    ["101 rules", Array.from({ length: 101 }, () => rule())],
    ["a rule without origin", [rule({ allowedOrigins: [] })]],
    ["a rule without method", [rule({ allowedMethods: [] })]],
  ])("MalformedXML for %s", (_, rules) => {
    expect(errorOf(() => validateCorsRules(rules))?.code).toBe("MalformedXML");
  });

  it.each<[string, Partial<CorsRule>, string]>([
    ["PATCH", { allowedMethods: ["GET", "PATCH"] }, "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"],
    ["lowercase get", { allowedMethods: ["get"] }, "Found unsupported HTTP method in CORS config. Unsupported method is get"],
    ["two origin wildcards", { allowedOrigins: ["https://*.example.*"] }, 'AllowedOrigin "https://*.example.*" can not have more than one wildcard.'],
    ["two header wildcards", { allowedHeaders: ["x-*-*"] }, 'AllowedHeader "x-*-*" can not have more than one wildcard.'],
    ["an expose wildcard", { exposeHeaders: ["x-amz-*"] }, 'ExposeHeader "x-amz-*" contains wildcard. We currently do not support wildcard for ExposeHeader.'],
  ])("InvalidRequest for %s", (_, r, message) => {
    expect(errorOf(() => validateCorsRules([rule(), rule(r)]))).toMatchObject({ code: "InvalidRequest", status: 400, message });
  });
});

describe("matchCorsRule", () => {
  it.each<[string, string, boolean]>([
    ["*", "http://localhost:3000", true],
    ["https://example.com", "https://example.com", true],
    ["https://example.com", "https://example.com:8443", false],
    ["https://example.com", "https://EXAMPLE.com", false],
    ["https://*.example.com", "https://a.b.example.com", true],
    ["https://*.example.com", "https://example.com", false],
    ["http://localhost:*", "http://localhost:5173", true],
    ["a*a", "a", false],
    ["a*a", "aa", true],
  ])("origin pattern %s vs %s -> %s", (pattern, origin, ok) => {
    expect(matchCorsRule([rule({ allowedOrigins: [pattern] })], origin, "GET") !== null).toBe(ok);
  });

  it("takes the first rule that matches origin, method and all requested headers", () => {
    const exact = rule({ id: "exact", allowedOrigins: ["https://app.test"], allowedMethods: ["GET", "PUT"] });
    const headersOk = rule({ id: "headers", allowedOrigins: ["https://*.test"], allowedMethods: ["PUT"], allowedHeaders: ["Content-Type", "x-amz-*"] });
    const any = rule({ id: "any", allowedMethods: ["GET", "HEAD"] });
    const rules = [exact, headersOk, any];
    expect(matchCorsRule(rules, "https://app.test", "PUT")?.rule.id).toBe("exact");
    expect(matchCorsRule(rules, "https://app.test", "PUT", ["x-amz-date", "content-type"])?.rule.id).toBe("headers");
    expect(matchCorsRule(rules, "https://app.test", "PUT", ["authorization"])).toBeNull();
    expect(matchCorsRule(rules, "https://other.example", "HEAD")?.rule.id).toBe("any");
    expect(matchCorsRule(rules, "https://other.example", "DELETE")).toBeNull();
  });

  it("answers * for a rule allowing the literal *, else the origin", () => {
    expect(matchCorsRule([rule({ allowedOrigins: ["https://a.test", "*"] })], "https://a.test", "GET")?.allowOrigin).toBe("*");
    expect(matchCorsRule([rule({ allowedOrigins: ["https://*.test"] })], "https://a.test", "GET")?.allowOrigin).toBe("https://a.test");
  });
});

describe("preflightResponseHeaders", () => {
  const rules = [
    rule({
      allowedOrigins: ["https://app.test"],
      allowedMethods: ["GET", "PUT"],
      allowedHeaders: ["*"],
      exposeHeaders: ["ETag", "x-amz-version-id"],
      maxAgeSeconds: 600,
    }),
    rule({ allowedMethods: ["GET"] }),
  ];

  it("answers the first matching rule with the requested headers echoed in lowercase", () => {
    const h = preflightResponseHeaders(
      rules,
      headers({ origin: "https://app.test", "access-control-request-method": "PUT", "access-control-request-headers": "Authorization, X-Amz-Date" }),
      "OBJECT",
    );
    expect(h).toEqual({
      "Access-Control-Allow-Origin": "https://app.test",
      "Access-Control-Allow-Methods": "GET, PUT",
      "Access-Control-Allow-Headers": "authorization, x-amz-date",
      "Access-Control-Expose-Headers": "ETag, x-amz-version-id",
      "Access-Control-Max-Age": "600",
      "Access-Control-Allow-Credentials": "true",
      Vary: CORS_VARY,
    });
  });

  it("answers * without credentials for the wildcard rule", () => {
    expect(preflightResponseHeaders(rules, headers({ origin: "https://else.test", "access-control-request-method": "GET" }), "BUCKET")).toEqual({
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET",
      Vary: CORS_VARY,
    });
  });

  it.each<[string, Record<string, string>, string]>([
    ["no Origin", { "access-control-request-method": "GET" }, "Insufficient information. Origin request header needed."],
    ["no method", { origin: "https://app.test" }, "Invalid Access-Control-Request-Method: null"],
    ["PATCH", { origin: "https://app.test", "access-control-request-method": "PATCH" }, "Invalid Access-Control-Request-Method: PATCH"],
  ])("400 BadRequest for %s", (_, h, message) => {
    expect(errorOf(() => preflightResponseHeaders(rules, headers(h), "OBJECT"))).toMatchObject({ code: "BadRequest", status: 400, message });
  });

  it("403 AccessForbidden when no configuration or no rule matches", () => {
    const req = headers({ origin: "https://else.test", "access-control-request-method": "PUT" });
    expect(errorOf(() => preflightResponseHeaders(null, req, "OBJECT"))).toMatchObject({
      code: "AccessForbidden",
      status: 403,
      message: "CORSResponse: CORS is not enabled for this bucket.",
      details: { Method: "PUT", ResourceType: "OBJECT" },
    });
    expect(errorOf(() => preflightResponseHeaders(rules, req, "BUCKET"))).toMatchObject({
      code: "AccessForbidden",
      status: 403,
      details: { Method: "PUT", ResourceType: "BUCKET" },
    });
    expect(errorOf(() => preflightResponseHeaders(rules, req, "BUCKET"))!.message).toMatch(/^CORSResponse: This CORS request is not allowed/);
  });
});

describe("corsResponseHeaders", () => {
  it("decorates an allowed actual request and leaves others bare", () => {
    const rules = [rule({ allowedOrigins: ["https://app.test"], allowedMethods: ["GET"], exposeHeaders: ["ETag"] })];
    expect(corsResponseHeaders(rules, "https://app.test", "GET")).toEqual({
      "Access-Control-Allow-Origin": "https://app.test",
      "Access-Control-Allow-Methods": "GET",
      "Access-Control-Expose-Headers": "ETag",
      "Access-Control-Allow-Credentials": "true",
      Vary: CORS_VARY,
    });
    expect(corsResponseHeaders(rules, "https://app.test", "PUT")).toEqual({});
    expect(corsResponseHeaders(rules, "https://evil.test", "GET")).toEqual({});
    expect(corsResponseHeaders(null, "https://app.test", "GET")).toEqual({});
  });
});

it("parses Access-Control-Request-Headers and round-trips the stored form", () => {
  expect(parseRequestHeaderList(" A ,, x-Amz-Date ")).toEqual(["a", "x-amz-date"]);
  const rules = [rule({ id: "x", maxAgeSeconds: 5 })];
  expect(deserializeCors(serializeCors(rules))).toEqual(rules);
  expect(deserializeCors(null)).toBeNull();
});
