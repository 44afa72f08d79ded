import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { ALL_USERS } from "../logic/acl";
import { accessControlPolicyDocument, parseAccessControlPolicy } from "./acl";

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e.code;
    throw e;
  }
  return "no error";
}

describe("AccessControlPolicy document", () => {
  it("renders owner and grants as S3 does (golden)", () => {
    const xml = accessControlPolicyDocument({
      owner: { id: "o1", displayName: "owner & co" },
      grants: [
        { grantee: { type: "CanonicalUser", id: "o1", displayName: "owner & co" }, permission: "FULL_CONTROL" },
        { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" },
      ],
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        "<Owner><ID>o1</ID><DisplayName>owner &amp; co</DisplayName></Owner>" +
        "<AccessControlList>" +
        `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>o1</ID><DisplayName>owner &amp; co</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
        `<Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>` +
        "</AccessControlList></AccessControlPolicy>",
    );
  });

  it("renders an empty grant list", () => {
    expect(accessControlPolicyDocument({ owner: { id: "o", displayName: "" }, grants: [] })).toContain("<AccessControlList></AccessControlList>");
  });

  it("parses what it renders, and e-mail grantees", () => {
    const xml = `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Owner><ID> o1 </ID><DisplayName>x</DisplayName></Owner>
      <AccessControlList>
        <Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>u2</ID></Grantee><Permission>WRITE_ACP</Permission></Grant>
        <Grant><Grantee ${XSI} xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>
        <Grant><Grantee ${XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ_ACP</Permission></Grant>
      </AccessControlList>
    </AccessControlPolicy>`;
    expect(parseAccessControlPolicy(xml)).toEqual({
      ownerId: "o1",
      grants: [
        { grantee: { type: "CanonicalUser", id: "u2" }, permission: "WRITE_ACP" },
        { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" },
        { grantee: { type: "AmazonCustomerByEmail", email: "a@b.c" }, permission: "READ_ACP" },
      ],
    });
    const rendered = accessControlPolicyDocument({
      owner: { id: "o1", displayName: "n" },
      grants: [{ grantee: { type: "CanonicalUser", id: "u2", displayName: "m" }, permission: "READ" }],
    });
    expect(parseAccessControlPolicy(rendered)).toEqual({ ownerId: "o1", grants: [{ grantee: { type: "CanonicalUser", id: "u2" }, permission: "READ" }] });
  });

  it("accepts an empty AccessControlList (no grants)", () => {
    expect(parseAccessControlPolicy("<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>\n</AccessControlList></AccessControlPolicy>")).toEqual({
      ownerId: "o",
      grants: [],
    });
  });

  it.each([
    ["empty body", ""],
    ["not XML", "acl please"],
    ["wrong root", "<Policy><Owner><ID>o</ID></Owner><AccessControlList/></Policy>"],
    ["no Owner", "<AccessControlPolicy><AccessControlList/></AccessControlPolicy>"],
    ["empty Owner ID", "<AccessControlPolicy><Owner><ID></ID></Owner><AccessControlList/></AccessControlPolicy>"],
    ["no AccessControlList", "<AccessControlPolicy><Owner><ID>o</ID></Owner></AccessControlPolicy>"],
    ["two AccessControlLists", "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList/><AccessControlList/></AccessControlPolicy>"],
    ["stray element", "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Foo/></AccessControlList></AccessControlPolicy>"],
    [
      "no xsi:type",
      "<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee><ID>u</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
    ],
    [
      "unknown xsi:type",
      `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee ${XSI} xsi:type="Robot"><ID>u</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
    ],
    [
      "CanonicalUser without ID",
      `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee ${XSI} xsi:type="CanonicalUser"><URI>u</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
    ],
    [
      "unknown permission",
      `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>u</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
    ],
    [
      "no Permission",
      `<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>u</ID></Grantee></Grant></AccessControlList></AccessControlPolicy>`,
    ],
    ["DOCTYPE", '<!DOCTYPE x [<!ENTITY e "o">]><AccessControlPolicy><Owner><ID>&e;</ID></Owner><AccessControlList/></AccessControlPolicy>'],
  ])("refuses %s with MalformedACLError", (_why, xml) => {
    expect(codeOf(() => parseAccessControlPolicy(xml))).toBe("MalformedACLError");
  });
});
