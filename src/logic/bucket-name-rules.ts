/**
 * The general-purpose bucket naming rules as sentences, with no dependency, so that the Worker
 * (logic/names.ts) and the web portal (which explains them as you type) share one definition.
 *   AWS S3 User Guide, "General purpose bucket naming rules":
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const IPV4_LIKE_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"]; // "sthree-configurator" is covered by "sthree-"
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** The first general-purpose bucket naming rule `name` breaks, as a sentence; null when it breaks none. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return `Bucket names must be between 3 and 63 characters long (this one has ${name.length}).`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "Bucket names can consist only of lowercase letters, numbers, dots (.) and hyphens (-).";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "Bucket names must begin and end with a letter or number.";
  if (name.includes("..")) return "Bucket names must not contain two adjacent periods.";
  if (IPV4_LIKE_RE.test(name)) return "Bucket names must not be formatted as an IP address (for example, 192.168.5.4).";
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `Bucket names must not start with the reserved prefix "${prefix}".`;
  const suffix = RESERVED_SUFFIXES.find((x) => name.endsWith(x));
  if (suffix) return `Bucket names must not end with the reserved suffix "${suffix}".`;
  return null;
}

/** True when `name` satisfies every general-purpose bucket naming rule. */
