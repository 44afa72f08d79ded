/**
 * The `<ReplicationConfiguration>` document of Put/GetBucketReplication.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Destination.html
 * The shape is checked here (MalformedXML: unknown or repeated elements, no rules, no Destination
 * bucket, a Filter with more than one predicate outside <And>, Filter and rule-level Prefix
 * together, a Status other than Enabled/Disabled); value rules are logic/replication.ts's. Features
 * this service does not offer (replica ownership translation, KMS, replication time control,
 * metrics, replica modification sync, existing-object replication) are NotImplemented.
 */
import { S3Error } from "../errors";
import { destinationBucketOf, type ParsedReplicationRule, type ReplicationConfig, type ReplicationFilter } from "../logic/replication";
import { element, filterXml, parseFilter } from "./lifecycle";
import { asArray, parseXmlDocument, renderXml, xmlText, type XmlValue } from "./xml";

const RULE_ELEMENTS = [
  "ID",
  "Priority",
  "Status",
  "Prefix",
  "Filter",
  "Destination",
  "DeleteMarkerReplication",
  "SourceSelectionCriteria",
  "ExistingObjectReplication",
];
const DESTINATION_ELEMENTS = ["Bucket", "StorageClass", "Account", "AccessControlTranslation", "EncryptionConfiguration", "ReplicationTime", "Metrics"];
const UNSUPPORTED = [
  "SourceSelectionCriteria",
  "ExistingObjectReplication",
  "AccessControlTranslation",
  "EncryptionConfiguration",
  "ReplicationTime",
  "Metrics",
];

const has = (el: Record<string, unknown>, name: string) => el[name] !== undefined;

function refuseUnsupported(el: Record<string, unknown>): void {
  for (const name of UNSUPPORTED) if (has(el, name)) throw new S3Error("replicationFeatureUnsupported", { feature: name });
}

function status(v: XmlValue | XmlValue[] | undefined): "Enabled" | "Disabled" {
  const s = xmlText(v)?.trim();
  if (s !== "Enabled" && s !== "Disabled") throw new S3Error("MalformedXML");
  return s;
}

function filter(v: XmlValue | XmlValue[]): ReplicationFilter {
  const f = parseFilter(v);
  if (f.objectSizeGreaterThan !== undefined || f.objectSizeLessThan !== undefined) throw new S3Error("MalformedXML");
  if (f.and && (f.and.objectSizeGreaterThan !== undefined || f.and.objectSizeLessThan !== undefined)) throw new S3Error("MalformedXML");
  const out: ReplicationFilter = {};
  if (f.prefix !== undefined) out.prefix = f.prefix;
  if (f.tag) out.tag = f.tag;
  if (f.and) out.and = f.and.prefix === undefined ? { tags: f.and.tags } : { prefix: f.and.prefix, tags: f.and.tags };
  return out;
}

function parseRule(v: XmlValue): ParsedReplicationRule {
  const el = element(v, RULE_ELEMENTS);
  refuseUnsupported(el);
  if (has(el, "Filter") && has(el, "Prefix")) throw new S3Error("MalformedXML");
  const dest = element(el.Destination, DESTINATION_ELEMENTS);
  refuseUnsupported(dest);
  const arn = xmlText(dest.Bucket);
  if (arn === undefined) throw new S3Error("MalformedXML");
  const rule: ParsedReplicationRule = { status: status(el.Status), destination: destinationBucketOf(arn) };
  const id = xmlText(el.ID);
  if (id !== undefined && id !== "") rule.id = id;
  const priority = xmlText(el.Priority)?.trim();
  if (priority !== undefined) {
    if (!/^-?\d{1,10}$/.test(priority)) throw new S3Error("MalformedXML");
    rule.priority = Number(priority);
  }
  if (has(el, "Prefix")) rule.prefix = xmlText(el.Prefix);
  if (has(el, "Filter")) rule.filter = filter(el.Filter!);
  const storageClass = xmlText(dest.StorageClass)?.trim();
  if (storageClass !== undefined) rule.storageClass = storageClass;
  const account = xmlText(dest.Account)?.trim();
  if (account !== undefined) rule.account = account;
  if (has(el, "DeleteMarkerReplication")) rule.deleteMarkerReplication = status(element(el.DeleteMarkerReplication, ["Status"]).Status);
  return rule;
}

/** PutBucketReplication body: a Role and one or more <Rule> elements. */
export function parseReplicationConfiguration(xml: string): { role: string; rules: ParsedReplicationRule[] } {
  if (xml.trim() === "") throw new S3Error("MalformedXML");
  const root = element(parseXmlDocument(xml, "ReplicationConfiguration"), ["Role", "Rule"]);
  const rules = asArray(root.Rule).map(parseRule);
  if (rules.length === 0) throw new S3Error("MalformedXML");
  return { role: xmlText(root.Role)?.trim() ?? "", rules };
}

/** GetBucketReplication: the configuration as stored, elements in the order S3 writes them. */
export function replicationConfigurationDocument(config: ReplicationConfig): string {
  return renderXml("ReplicationConfiguration", {
    Role: config.role,
    Rule: config.rules.map((r) => ({
      ID: r.id,
      Priority: r.priority,
      Filter: r.filter ? filterXml(r.filter) : undefined,
      Prefix: r.prefix,
      Status: r.status,
      Destination: { Bucket: `arn:aws:s3:::${r.destination}`, Account: r.account, StorageClass: r.storageClass },
      DeleteMarkerReplication: r.deleteMarkerReplication ? { Status: r.deleteMarkerReplication } : undefined,
    })),
  });
}
