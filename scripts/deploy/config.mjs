/**
 * What the deployment needs, read from wrangler.toml through wrangler's own config reader (so the
 * Worker and the deploy script can never read it differently): the D1 database, one R2 bucket per
 * zone in SOS_ZONES (and one per zone replica, R2_<ZONE>_REPLICA), queues, routes and static assets. Also the one edit the deploy makes to the file:
 * recording the D1 database_id once the database exists.
 */
import fs from "node:fs";
import path from "node:path";
import { DeployError } from "./wrangler.mjs";

/** R2 and D1 location hints (https://developers.cloudflare.com/r2/reference/data-location/). */
export const LOCATION_HINTS = ["wnam", "enam", "weur", "eeur", "apac", "oc"];

export const r2BindingName = (zone) => `R2_${zone.toUpperCase().replace(/-/g, "_")}`;

/** "ch-gva-2=weur, de-fra-1=weur" -> Map(zone -> hint); `name` is the variable, for errors. */
export function parseLocationHints(text = "", name = "SOS_ZONE_LOCATION_HINTS") {
  const hints = new Map();
  for (const pair of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [zone, hint] = pair.split("=").map((s) => s.trim());
    if (!zone || !LOCATION_HINTS.includes(hint)) {
      throw new DeployError(`${name}: "${pair}" is not zone=hint with a hint among ${LOCATION_HINTS.join(", ")}.`);
    }
    hints.set(zone, hint);
  }
  return hints;
}

/** Reads `configPath` and returns the deployment's resources. */
export async function readDeployConfig(configPath) {
  if (!fs.existsSync(configPath)) throw new DeployError(`No wrangler configuration at ${configPath}.`);
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const vars = config.vars ?? {};
  const zones = String(vars.SOS_ZONES ?? "ch-gva-2")
    .split(",")
    .map((z) => z.trim())
    .filter(Boolean);
  const hints = parseLocationHints(vars.SOS_ZONE_LOCATION_HINTS);
  for (const zone of hints.keys()) if (!zones.includes(zone)) throw new DeployError(`SOS_ZONE_LOCATION_HINTS names ${zone}, which is not in SOS_ZONES.`);

  const d1 = (config.d1_databases ?? []).find((d) => d.binding === "DB");
  if (!d1?.database_name) throw new DeployError(`${configPath} needs a [[d1_databases]] entry with binding = "DB" and a database_name.`);
  const buckets = zones.map((zone) => {
    const binding = r2BindingName(zone);
    const b = (config.r2_buckets ?? []).find((x) => x.binding === binding);
    if (!b?.bucket_name) throw new DeployError(`Zone ${zone} (SOS_ZONES) needs an [[r2_buckets]] entry with binding = "${binding}" and a bucket_name.`);
    return { zone, binding, name: b.bucket_name, jurisdiction: b.jurisdiction || undefined, locationHint: hints.get(zone) };
  });
  // A zone's replica (docs/replication.md) is the [[r2_buckets]] entry R2_<ZONE>_REPLICA, if there is one.
  const replicaHints = parseLocationHints(vars.SOS_REPLICA_LOCATION_HINTS, "SOS_REPLICA_LOCATION_HINTS");
  for (const zone of replicaHints.keys())
    if (!zones.includes(zone)) throw new DeployError(`SOS_REPLICA_LOCATION_HINTS names ${zone}, which is not in SOS_ZONES.`);
  for (const zone of zones) {
    const binding = `${r2BindingName(zone)}_REPLICA`;
    const b = (config.r2_buckets ?? []).find((x) => x.binding === binding);
    if (!b) continue;
    if (!b.bucket_name) throw new DeployError(`The replica of zone ${zone} ([[r2_buckets]] binding = "${binding}") needs a bucket_name.`);
    buckets.push({ zone, replica: true, binding, name: b.bucket_name, jurisdiction: b.jurisdiction || undefined, locationHint: replicaHints.get(zone) });
  }
  const queueNames = [...(config.queues?.producers ?? []).map((q) => q.queue), ...(config.queues?.consumers ?? []).map((q) => q.queue)];
  const routes = [...(config.routes ?? []), ...(config.route ? [config.route] : [])];
  return {
    configPath: path.resolve(configPath),
    projectDir: path.dirname(path.resolve(configPath)),
    workerName: config.name,
    database: {
      binding: d1.binding,
      name: d1.database_name,
      id: d1.database_id || undefined,
      // The database lives near the default (first) zone.
      locationHint: hints.get(zones[0]),
      jurisdiction: d1.jurisdiction || undefined,
    },
    buckets,
    queues: [...new Set(queueNames)],
    assetsDirectory: config.assets?.directory,
    routes,
    baseDomain: String(vars.SOS_BASE_DOMAIN ?? "").toLowerCase(),
    // SOS_ZONE_ENDPOINTS = "zone=host,...": the Worker validates it; the deploy only needs the hosts.
    zoneHosts: String(vars.SOS_ZONE_ENDPOINTS ?? "")
      .split(",")
      .map((e) =>
        e
          .slice(e.indexOf("=") + 1)
          .trim()
          .toLowerCase(),
      )
      .filter(Boolean),
    workersDev: config.workers_dev !== false,
  };
}

/** The host names the deploy routes when wrangler.toml has none: SOS_BASE_DOMAIN and each zone endpoint's host (docs/zones.md). */
export function routedHosts(deploy) {
  if (deploy.routes.length > 0) return [];
  return [deploy.baseDomain, ...(deploy.zoneHosts ?? [])].filter(Boolean);
}

/** wrangler deploy arguments for those hosts: each host itself as a custom domain and one host per bucket under it. */
export function baseDomainArgs(deploy) {
  return routedHosts(deploy).flatMap((host) => ["--domain", host, "--route", `*.${host}/*`]);
}

/**
 * Writes database_id into the [[d1_databases]] block whose binding is `binding`, keeping every other
 * line (and comment) of the file as it is. wrangler's own config patcher refuses TOML with comments.
 */
export function recordDatabaseId(configPath, binding, id) {
  const text = fs.readFileSync(configPath, "utf8");
  if (!configPath.endsWith(".toml")) throw new DeployError(`Add database_id = "${id}" to the DB binding in ${configPath}.`);
  const lines = text.split("\n");
  const blockStarts = lines.flatMap((l, i) => (/^\s*\[/.test(l) ? [i] : []));
  for (const [n, start] of blockStarts.entries()) {
    if (!/^\s*\[\[\s*d1_databases\s*\]\]/.test(lines[start])) continue;
    const end = blockStarts[n + 1] ?? lines.length;
    const block = lines.slice(start + 1, end);
    if (!block.some((l) => new RegExp(`^\\s*binding\\s*=\\s*"${binding}"`).test(l))) continue;
    const idLine = block.findIndex((l) => /^\s*database_id\s*=/.test(l));
    const entry = `database_id = "${id}"`;
    if (idLine >= 0) lines[start + 1 + idLine] = entry;
    else {
      const nameLine = block.findIndex((l) => /^\s*database_name\s*=/.test(l));
      lines.splice(start + 1 + (nameLine >= 0 ? nameLine + 1 : 0), 0, entry);
    }
    fs.writeFileSync(configPath, lines.join("\n"));
    return;
  }
  throw new DeployError(`No [[d1_databases]] block with binding = "${binding}" in ${configPath}.`);
}
