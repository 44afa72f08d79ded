/** Bindings and configuration of the Worker, read once per request from `env`. */
export interface Env {
  DB: D1Database;
  /** One R2 binding per zone: R2_<ZONE upper-cased, '-' -> '_'> (e.g. R2_CH_GVA_2). */
  [binding: `R2_${string}`]: R2Bucket;
  SOS_ZONES?: string;
  SOS_BASE_DOMAIN?: string;
  SOS_MAX_REQUEST_BYTES?: string;
  SOS_REQUIRE_HTTPS_FOR_SSEC?: string;
  SOS_MULTIPART_MAX_AGE_SECONDS?: string;
  SOS_BLOB_DELETION_GRACE_SECONDS?: string;
  SOS_SWEEP_PAUSED?: string;
  SOS_SUBREQUEST_BUDGET?: string;
  SOS_COMPACTION_PART_BYTES?: string;
  SOS_MIN_PART_BYTES?: string;
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
}

export function r2BindingName(zone: string): `R2_${string}` {
  return `R2_${zone.toUpperCase().replace(/-/g, "_")}`;
}

export function readConfig(env: Env): Config {
  const zones = (env.SOS_ZONES ?? "ch-gva-2")
    .split(",")
    .map((z) => z.trim())
    .filter(Boolean);
  for (const zone of zones) {
    if (!env[r2BindingName(zone)]) throw new Error(`zone ${zone} has no R2 binding ${r2BindingName(zone)}`);
  }
  return {
    zones,
    defaultZone: zones[0],
    baseDomain: (env.SOS_BASE_DOMAIN ?? "").toLowerCase(),
    maxRequestBytes: Number(env.SOS_MAX_REQUEST_BYTES ?? 104857600),
    requireHttpsForSsec: env.SOS_REQUIRE_HTTPS_FOR_SSEC !== "false",
    multipartMaxAgeMs: Number(env.SOS_MULTIPART_MAX_AGE_SECONDS ?? 604800) * 1000,
    blobDeletionGraceMs: Number(env.SOS_BLOB_DELETION_GRACE_SECONDS ?? 86400) * 1000,
    sweepPaused: env.SOS_SWEEP_PAUSED === "true",
    subrequestBudget: Number(env.SOS_SUBREQUEST_BUDGET ?? 1000),
    compactionPartBytes: Number(env.SOS_COMPACTION_PART_BYTES ?? 64 * 1024 ** 2),
    minPartBytes: Number(env.SOS_MIN_PART_BYTES ?? 5 * 1024 ** 2),
  };
}
