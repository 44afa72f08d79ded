/**
 * The `<AccessControlPolicy>` document of Get/PutBucketAcl and Get/PutObjectAcl.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_AccessControlPolicy.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Grantee.html
 * Any request document that is not the expected shape is MalformedACLError (S3 answers that,
 * not MalformedXML, for ACL bodies). Grantee validity (ids, e-mails, group URIs) is checked by
 * logic/acl.ts resolveGrants.
 */
import { S3Error } from "../errors";
import { isPermission, type Grant, type Permission } from "../logic/acl";
import { asArray, parseXmlDocument, renderXml, xmlObject, xmlText, type XmlValue } from "./xml";

const XSI = "http://www.w3.org/2001/XMLSchema-instance";

export type AclDocumentGrantee = { type: "CanonicalUser"; id: string; displayName: string } | { type: "Group"; uri: string };

export type AclDocumentInput = {
  owner: { id: string; displayName: string };
  grants: { grantee: AclDocumentGrantee; permission: Permission }[];
};

export function accessControlPolicyDocument(input: AclDocumentInput): string {
  return renderXml("AccessControlPolicy", {
    Owner: { ID: input.owner.id, DisplayName: input.owner.displayName },
    AccessControlList: {
      Grant: input.grants.map(({ grantee, permission }) => ({
        Grantee:
          grantee.type === "CanonicalUser"
            ? { "@_xmlns:xsi": XSI, "@_xsi:type": "CanonicalUser", ID: grantee.id, DisplayName: grantee.displayName }
            : { "@_xmlns:xsi": XSI, "@_xsi:type": "Group", URI: grantee.uri },
        Permission: permission,
      })),
    },
  });
}

export type ParsedAccessControlPolicy = { ownerId: string; grants: Grant[] };

function malformed(): S3Error {
  return new S3Error("MalformedACLError");
}

/** Runs a reader, turning the XML layer's MalformedXML into MalformedACLError. */
function asAclError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof S3Error && e.code === "MalformedXML") throw malformed();
    throw e;
  }
}

function required(v: XmlValue | XmlValue[] | undefined): string {
  const text = xmlText(v)?.trim();
  if (!text) throw malformed();
  return text;
}

function parseGrant(v: XmlValue): Grant {
  const grant = xmlObject(v);
  if (grant.Grantee === undefined || Array.isArray(grant.Grantee)) throw malformed();
  const grantee = xmlObject(grant.Grantee);
  const permission = required(grant.Permission);
  if (!isPermission(permission)) throw malformed();
  switch (xmlText(grantee["@_type"])) {
    case "CanonicalUser":
      return { grantee: { type: "CanonicalUser", id: required(grantee.ID) }, permission };
    case "Group":
      return { grantee: { type: "Group", uri: required(grantee.URI) }, permission };
    case "AmazonCustomerByEmail":
      return { grantee: { type: "AmazonCustomerByEmail", email: required(grantee.EmailAddress) }, permission };
    default:
      throw malformed();
  }
}

/** `<AccessControlPolicy><Owner><ID/></Owner><AccessControlList><Grant/>*</AccessControlList></AccessControlPolicy>` */
export function parseAccessControlPolicy(xml: string): ParsedAccessControlPolicy {
  return asAclError(() => {
    if (xml.trim() === "") throw malformed();
    const root = xmlObject(parseXmlDocument(xml, "AccessControlPolicy"));
    const acl = root.AccessControlList;
    if (root.Owner === undefined || Array.isArray(root.Owner) || acl === undefined || Array.isArray(acl)) throw malformed();
    const ownerId = required(xmlObject(root.Owner).ID);
    const list = typeof acl === "string" && acl.trim() === "" ? {} : xmlObject(acl);
    // An empty <AccessControlList/> is allowed (no grants); anything else in it must be <Grant>s.
    if (Object.keys(list).some((k) => k !== "Grant")) throw malformed();
    return { ownerId, grants: asArray(list.Grant).map(parseGrant) };
  });
}
