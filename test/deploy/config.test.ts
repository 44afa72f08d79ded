// The deploy script's pure parts: wrangler.toml edits, location hints, routes for SOS_BASE_DOMAIN, which secrets to make.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { baseDomainArgs, parseLocationHints, recordDatabaseId } from "../../scripts/deploy/config.mjs";
import { SECRET_NAMES, secretsToCreate } from "../../scripts/deploy/secrets.mjs";

const TOML = `name = "w"
# a comment that wrangler's own patcher would refuse
[[d1_databases]]
binding = "OTHER"
database_name = "other"

[[d1_databases]]
binding = "DB"
database_name = "meta"   # trailing comment
migrations_dir = "migrations"

[[r2_buckets]]
binding = "R2_X"
bucket_name = "x"
`;

function withToml(text: string, fn: (file: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-config-"));
  const file = path.join(dir, "wrangler.toml");
  try {
    fs.writeFileSync(file, text);
    fn(file);
    return fs.readFileSync(file, "utf8");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("recordDatabaseId", () => {
  it("adds database_id under database_name of the DB block only, keeping every other line", () => {
    const out = withToml(TOML, (f) => recordDatabaseId(f, "DB", "11111111-2222-3333-4444-555555555555"));
    expect(out).toBe(
      TOML.replace(
        'database_name = "meta"   # trailing comment\n',
        'database_name = "meta"   # trailing comment\ndatabase_id = "11111111-2222-3333-4444-555555555555"\n',
      ),
    );
  });

  it("replaces an existing database_id", () => {
    const withId = TOML.replace('migrations_dir = "migrations"', 'database_id = "old"\nmigrations_dir = "migrations"');
    const out = withToml(withId, (f) => recordDatabaseId(f, "DB", "new-id"));
    expect(out).toContain('database_id = "new-id"\nmigrations_dir');
    expect(out).not.toContain('"old"');
  });

  it("refuses a file without the binding", () => {
    expect(() => withToml(TOML, (f) => recordDatabaseId(f, "NOPE", "x"))).toThrow(/No \[\[d1_databases\]\] block with binding = "NOPE"/);
  });
});

describe("location hints and routes", () => {
  it("parses zone=hint pairs and rejects unknown hints", () => {
    expect([...parseLocationHints(" ch-gva-2=weur, at-vie-1=eeur ")]).toEqual([
      ["ch-gva-2", "weur"],
      ["at-vie-1", "eeur"],
    ]);
    expect(parseLocationHints("").size).toBe(0);
    expect(() => parseLocationHints("ch-gva-2=mars")).toThrow(/"ch-gva-2=mars" is not zone=hint/);
  });

  it("SOS_BASE_DOMAIN adds the custom domain and the bucket route unless wrangler.toml has routes", () => {
    expect(baseDomainArgs({ baseDomain: "s3.example.com", routes: [] })).toEqual(["--domain", "s3.example.com", "--route", "*.s3.example.com/*"]);
    expect(baseDomainArgs({ baseDomain: "s3.example.com", routes: [{ pattern: "s3.example.com", custom_domain: true }] })).toEqual([]);
    expect(baseDomainArgs({ baseDomain: "", routes: [] })).toEqual([]);
  });

  it("SOS_ZONE_ENDPOINTS adds each zone host the same way, next to the base domain", () => {
    expect(baseDomainArgs({ baseDomain: "s3.example.com", routes: [], zoneHosts: ["sos-ch-gva-2.example.com"] })).toEqual([
      "--domain",
      "s3.example.com",
      "--route",
      "*.s3.example.com/*",
      "--domain",
      "sos-ch-gva-2.example.com",
      "--route",
      "*.sos-ch-gva-2.example.com/*",
    ]);
    expect(baseDomainArgs({ baseDomain: "", routes: ["x.example.com/*"], zoneHosts: ["sos-ch-gva-2.example.com"] })).toEqual([]);
  });
});

describe("secretsToCreate", () => {
  it("generates exactly the missing secrets, each distinct", () => {
    const all = secretsToCreate(new Set());
    expect(Object.keys(all).sort()).toEqual([...SECRET_NAMES].sort());
    expect(new Set(Object.values(all)).size).toBe(4);
    expect(all.SOS_ROOT_ACCESS_KEY).toMatch(/^EXO[A-Z0-9]{24}$/);
    expect(Buffer.from(all.SOS_MASTER_KEY, "base64")).toHaveLength(32);
    expect(secretsToCreate(new Set(SECRET_NAMES))).toEqual({});
    expect(Object.keys(secretsToCreate(new Set(["SOS_MASTER_KEY", "SOS_ADMIN_TOKEN"]))).sort()).toEqual(["SOS_ROOT_ACCESS_KEY", "SOS_ROOT_SECRET_KEY"]);
  });

  it("never replaces a set master key, and refuses to complete half a root key", () => {
    expect(secretsToCreate(new Set(["SOS_MASTER_KEY"]))).not.toHaveProperty("SOS_MASTER_KEY");
    expect(() => secretsToCreate(new Set(["SOS_ROOT_ACCESS_KEY"]))).toThrow(/SOS_ROOT_ACCESS_KEY is set but SOS_ROOT_SECRET_KEY is not/);
  });
});
