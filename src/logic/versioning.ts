/**
 * Versioning rules shared by the write paths.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 */

/** Exoscale SOS keeps at most 1000 versions (delete markers included) per object (spec/sos-overview.txt). */
export const MAX_VERSIONS_PER_OBJECT = 1000;

/** Version ids we issue (logic/ids.ts) and the literal "null"; anything else cannot name a version. */
export function isWellFormedVersionId(v: string): boolean {
  return v === "null" || /^[A-Za-z0-9._-]{1,64}$/.test(v);
}
