/** Bindings and configuration of the Worker, read from `env` (once per `env` object). */
import { parseZoneEndpoints, type ZoneEndpoint } from "./logic/zone-endpoints";

export interface Env {
  DB: D1Database;
  /** One R2 binding per zone: R2_<ZONE upper-cased, '-' -> '_'> (e.g. R2_CH_GVA_2). */
  [binding: `R2_${string}`]: R2Bucket;
  /** The job queue's producer (wrangler.toml [[queues.producers]]); this Worker is also its consumer. */
  JOBS?: Queue<unknown>;
  SOS_ZONES?: string;
  SOS_BASE_DOMAIN?: string;
  /** `zone=host,...`: a host name per zone (docs/zones.md) */
  SOS_ZONE_ENDPOINTS?: string;
  SOS_MAX_REQUEST_BYTES?: string;
  SOS_REQUIRE_HTTPS_FOR_SSEC?: string;
  SOS_MULTIPART_MAX_AGE_SECONDS?: string;
  SOS_BLOB_DELETION_GRACE_SECONDS?: string;
  SOS_SWEEP_PAUSED?: string;
  SOS_SUBREQUEST_BUDGET?: string;
  SOS_COMPACTION_PART_BYTES?: string;
  SOS_MIN_PART_BYTES?: string;
  SOS_REPLICATION_AFTER_RESPONSE?: string;
  SOS_JOB_MAX_ATTEMPTS?: string;
  SOS_JOB_RETRY_DELAY_SECONDS?: string;
  SOS_INLINE_MAX_BYTES?: string;
  SOS_ROOT_ACCESS_KEY?: string;
  SOS_ROOT_SECRET_KEY?: string;
  SOS_ADMIN_TOKEN?: string;
  SOS_MASTER_KEY?: string;
  /** the master key before a rotation: stored secrets that SOS_MASTER_KEY cannot decrypt are tried with it */
  SOS_MASTER_KEY_PREVIOUS?: string;
}

export interface Config {
  zones: string[];
  defaultZone: string;
  baseDomain: string;
  /** the host name of each zone's own endpoint (docs/zones.md); empty = only the generic endpoint */
  zoneEndpoints: ZoneEndpoint[];
  maxRequestBytes: number;
  requireHttpsForSsec: boolean;
  multipartMaxAgeMs: number;
  /** superseded and deleted bytes outlive their rows this long, so that reads in flight finish; 0 = delete after the response */
  blobDeletionGraceMs: number;
  /** "true": the cron sweep deletes nothing (before and during a restore) */
  sweepPaused: boolean;
  /** subrequests (D1 and R2 calls) one invocation may make: the Workers plan's limit (Free 50, Paid 1000) */
  subrequestBudget: number;
  /** the uniform internal part size of compacted blobs (R2 multipart needs equal parts, at least 5 MiB) */
  compactionPartBytes: number;
  /** the smallest part but the last that CompleteMultipartUpload accepts: S3's 5 MiB; lowered by tests only */
  minPartBytes: number;
  /** bucket replication jobs are sent right after the write's response ("false": only the cron's scan sends them) */
  replicationAfterResponse: boolean;
  /** a job message that failed this many deliveries becomes a dead letter (job_dead_letters) */
  jobMaxAttempts: number;
  /** delay before a failed job's first retry; doubled at each further attempt */
  jobRetryDelaySeconds: number;
  /** objects of at most this many bytes (not SSE-C) are stored in their D1 row, not in R2; 0 = never */
  inlineMaxBytes: number;
}

/** The default of SOS_INLINE_MAX_BYTES (docs/capacity-and-limits.md explains the choice). */
export const DEFAULT_INLINE_MAX_BYTES = 4096;
/** The largest SOS_INLINE_MAX_BYTES accepted: D1 rows hold at most 2 MB; 1 MiB is 1.4 MB as base64, and the row has its metadata too. */
export const MAX_INLINE_MAX_BYTES = 1024 * 1024;

function inlineMaxBytes(raw: string | undefined): number {
  const n = raw === undefined || raw.trim() === "" ? DEFAULT_INLINE_MAX_BYTES : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_INLINE_MAX_BYTES) {
    throw new Error(`SOS_INLINE_MAX_BYTES must be a whole number of bytes from 0 to ${MAX_INLINE_MAX_BYTES}, not ${raw}`);
  }
  return n;
}

export function r2BindingName(zone: string): `R2_${string}` {
  return `R2_${zone.toUpperCase().replace(/-/g, "_")}`;
}

/** A zone's replica: R2_<ZONE>_REPLICA (e.g. R2_CH_GVA_2_REPLICA); a zone without that binding has no replica. */
export function replicaBindingName(zone: string): `R2_${string}` {
  return `${r2BindingName(zone)}_REPLICA`;
}

function zoneNames(env: Env): string[] {
  return (env.SOS_ZONES ?? "ch-gva-2")
    .split(",")
    .map((z) => z.trim())
    .filter(Boolean);
}

type HostConfig = Pick<Config, "baseDomain" | "zoneEndpoints">;

/** The host names the Worker answers for (what routing needs), without the bindings' checks. */
export function hostConfig(env: Env): HostConfig {
  return { baseDomain: (env.SOS_BASE_DOMAIN ?? "").toLowerCase(), zoneEndpoints: parseZoneEndpoints(env.SOS_ZONE_ENDPOINTS, zoneNames(env)) };
}

/** Configs already read, per `env` object: workerd hands every request of an isolate the same one. */
const configs = new WeakMap<Env, Config>();

/** The configuration `env` describes (read once per `env` object: reading bindings costs CPU on every request). */
export function readConfig(env: Env): Config {
  let config = configs.get(env);
  if (!config) configs.set(env, (config = parseConfig(env)));
  return config;
}

function parseConfig(env: Env): Config {
  const zones = zoneNames(env);
  for (const zone of zones) {
    if (!env[r2BindingName(zone)]) throw new Error(`zone ${zone} has no R2 binding ${r2BindingName(zone)}`);
  }
  return {
    zones,
    defaultZone: zones[0],
    ...hostConfig(env),
    maxRequestBytes: Number(env.SOS_MAX_REQUEST_BYTES ?? 104857600),
    requireHttpsForSsec: env.SOS_REQUIRE_HTTPS_FOR_SSEC !== "false",
    multipartMaxAgeMs: Number(env.SOS_MULTIPART_MAX_AGE_SECONDS ?? 604800) * 1000,
    blobDeletionGraceMs: Number(env.SOS_BLOB_DELETION_GRACE_SECONDS ?? 86400) * 1000,
    sweepPaused: env.SOS_SWEEP_PAUSED === "true",
    subrequestBudget: Number(env.SOS_SUBREQUEST_BUDGET ?? 1000),
    compactionPartBytes: Number(env.SOS_COMPACTION_PART_BYTES ?? 64 * 1024 ** 2),
    minPartBytes: Number(env.SOS_MIN_PART_BYTES ?? 5 * 1024 ** 2),
    replicationAfterResponse: env.SOS_REPLICATION_AFTER_RESPONSE !== "false",
    jobMaxAttempts: Math.max(1, Number(env.SOS_JOB_MAX_ATTEMPTS ?? 5)),
    jobRetryDelaySeconds: Math.max(0, Number(env.SOS_JOB_RETRY_DELAY_SECONDS ?? 10)),
    inlineMaxBytes: inlineMaxBytes(env.SOS_INLINE_MAX_BYTES),
  };
}

/** The host names under which `<bucket>.<host>` names a bucket: the base domain and every zone endpoint's host. */
export function virtualHostDomains(config: HostConfig): string[] {
  return [config.baseDomain, ...config.zoneEndpoints.map((e) => e.host)];
}
