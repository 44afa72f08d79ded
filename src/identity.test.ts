/**
 * Identity lookups with an in-memory stand-in for the two MetaStore reads they make (the D1 path
 * itself is covered end to end in test/adversarial/findings.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { Env } from "./env";
import type { S3Error } from "./errors";
import { identityCacheSize, Identity } from "./identity";
import { encryptSecret } from "./logic/secrets";
import type { MetaStore } from "./store/d1";
import type { AccessKey, User } from "./store/model";

const USER: User = { id: "u1", displayName: "u", email: null, maxBuckets: 10, createdAt: 0 };

async function setup(keys: Partial<AccessKey>[], env: Partial<Env>) {
  const lookups: string[] = [];
  const rows = new Map(
    keys.map((k) => [k.accessKeyId!, { userId: "u1", bucket: null, operations: "full", enabled: true, createdAt: 0, secretEnc: "", ...k } as AccessKey]),
  );
  const meta = {
    keys: {
      get: async (id: string) => {
        lookups.push(id);
        return rows.get(id) ?? null;
      },
    },
    users: { get: async () => USER },
  } as unknown as MetaStore;
  return { identity: new Identity(env as Env, meta), lookups };
}

const codeAndMessage = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: S3Error) => [e.code, e.message],
  );

describe("Identity.secretFor", () => {
  it("refuses malformed ids before any lookup, and caches nothing for them", async () => {
    const { identity, lookups } = await setup([], { SOS_MASTER_KEY: "m" });
    const before = identityCacheSize();
    for (const id of ["short", "x".repeat(129), "EXO-with-dash-000000000", "ÄXO000000000000000000000"]) {
      expect(await codeAndMessage(identity.secretFor(id))).toEqual(["InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."]);
    }
    expect(lookups).toEqual([]);
    expect(identityCacheSize()).toEqual(before);
  });
  it("looks an unknown well-formed id up once, then answers from the negative cache", async () => {
    const { identity, lookups } = await setup([], { SOS_MASTER_KEY: "m" });
    const id = "EXO" + "A".repeat(21) + "UNK";
    await codeAndMessage(identity.secretFor(id));
    await codeAndMessage(identity.secretFor(id));
    expect(lookups).toEqual([id]);
  });
  it("says when a key is disabled", async () => {
    const id = "EXO" + "D".repeat(24);
    const { identity } = await setup([{ accessKeyId: id, enabled: false, secretEnc: await encryptSecret("m", "s") }], { SOS_MASTER_KEY: "m" });
    expect(await codeAndMessage(identity.secretFor(id))).toEqual(["InvalidAccessKeyId", "The AWS Access Key Id you provided is disabled."]);
  });
  it("decrypts secrets stored under SOS_MASTER_KEY_PREVIOUS during a master-key rotation", async () => {
    const oldId = "EXO" + "O".repeat(24);
    const newId = "EXO" + "N".repeat(24);
    const keys = [
      { accessKeyId: oldId, secretEnc: await encryptSecret("old-master", "old secret") },
      { accessKeyId: newId, secretEnc: await encryptSecret("new-master", "new secret") },
    ];
    const { identity } = await setup(keys, { SOS_MASTER_KEY: "new-master", SOS_MASTER_KEY_PREVIOUS: "old-master" });
    expect(await identity.secretFor(oldId)).toBe("old secret");
    expect(await identity.secretFor(newId)).toBe("new secret");
    const withoutPrevious = await setup([{ accessKeyId: "EXO" + "P".repeat(24), secretEnc: keys[0]!.secretEnc }], { SOS_MASTER_KEY: "new-master" });
    await expect(withoutPrevious.identity.secretFor("EXO" + "P".repeat(24))).rejects.toThrow();
  });
});
