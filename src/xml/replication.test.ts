import { describe, expect, it } from "vitest";
import { validateReplicationRules } from "../logic/replication";
import { parseReplicationConfiguration, replicationConfigurationDocument } from "./replication";
import { s3ErrorOf as code } from "../../test/support/s3-error";

const doc = (body: string) => `<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</ReplicationConfiguration>`;
const ROLE = "<Role>arn:aws:iam::123456789012:role/replication</Role>";
const dest = (name: string, extra = "") => `<Destination><Bucket>arn:aws:s3:::${name}</Bucket>${extra}</Destination>`;

describe("parseReplicationConfiguration", () => {
  it("parses V2 rules (Filter, Priority, DeleteMarkerReplication), the And operator and V1 rules", () => {
    const parsed = parseReplicationConfiguration(
      doc(
        ROLE +
          `<Rule><ID>logs</ID><Priority>2</Priority><Status>Enabled</Status><Filter><Prefix>logs/</Prefix></Filter>${dest("b1", "<StorageClass>STANDARD</StorageClass>")}` +
          "<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication></Rule>" +
          `<Rule><Priority>1</Priority><Status>Disabled</Status><Filter><And><Prefix>t/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>${dest("b2")}` +
          "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>",
      ),
    );
    expect(parsed).toEqual({
      role: "arn:aws:iam::123456789012:role/replication",
      rules: [
        {
          id: "logs",
          priority: 2,
          status: "Enabled",
          filter: { prefix: "logs/" },
          destination: "b1",
          storageClass: "STANDARD",
          deleteMarkerReplication: "Enabled",
        },
        {
          priority: 1,
          status: "Disabled",
          filter: { and: { prefix: "t/", tags: [{ key: "k", value: "v" }] } },
          destination: "b2",
          deleteMarkerReplication: "Disabled",
        },
      ],
    });
    const v1 = parseReplicationConfiguration(doc(`${ROLE}<Rule><ID>old</ID><Prefix>a/</Prefix><Status>Enabled</Status>${dest("b1")}</Rule>`));
    expect(v1.rules).toEqual([{ id: "old", prefix: "a/", status: "Enabled", destination: "b1" }]);
  });

  it("refuses malformed documents with MalformedXML and unsupported features with NotImplemented", () => {
    for (const body of [
      "",
      "<ReplicationConfiguration/>",
      doc(ROLE),
      doc(`${ROLE}<Rule><Status>Enabled</Status></Rule>`),
      doc(`${ROLE}<Rule><Status>On</Status>${dest("b")}</Rule>`),
      doc(`${ROLE}<Rule><Status>Enabled</Status><Prefix>a</Prefix><Filter><Prefix>a</Prefix></Filter>${dest("b")}</Rule>`),
      doc(`${ROLE}<Rule><Status>Enabled</Status><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter>${dest("b")}</Rule>`),
      doc(`${ROLE}<Rule><Status>Enabled</Status><Filter><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></Filter>${dest("b")}</Rule>`),
      doc(`${ROLE}<Rule><Status>Enabled</Status><Priority>one</Priority>${dest("b")}</Rule>`),
      doc(`${ROLE}<Rule><Status>Enabled</Status><Unknown/>${dest("b")}</Rule>`),
    ]) {
      expect(code(() => parseReplicationConfiguration(body))).toMatch(/^MalformedXML/);
    }
    expect(
      code(() => parseReplicationConfiguration(doc(`${ROLE}<Rule><Status>Enabled</Status>${dest("b", "<Metrics><Status>Enabled</Status></Metrics>")}</Rule>`))),
    ).toBe("NotImplemented: Metrics is not implemented for bucket replication.");
    expect(code(() => parseReplicationConfiguration(doc(`${ROLE}<Rule><Status>Enabled</Status><Destination><Bucket>b</Bucket></Destination></Rule>`)))).toMatch(
      /^InvalidArgument/,
    );
  });

  it("renders what it parsed, so that a Get returns the Put", () => {
    const config = {
      role: "r",
      rules: validateReplicationRules(
        parseReplicationConfiguration(
          doc(
            `<Role>r</Role><Rule><ID>a</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>${dest("b1")}` +
              "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>",
          ),
        ).rules,
        () => "unused",
      ),
    };
    const xml = replicationConfigurationDocument(config);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role>r</Role>' +
        "<Rule><ID>a</ID><Priority>1</Priority><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>" +
        "<Destination><Bucket>arn:aws:s3:::b1</Bucket></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>" +
        "</ReplicationConfiguration>",
    );
    expect({ role: parseReplicationConfiguration(xml).role, rules: validateReplicationRules(parseReplicationConfiguration(xml).rules, () => "x") }).toEqual(
      config,
    );
  });
});
