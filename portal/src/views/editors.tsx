/** Editors shared by buckets and objects: ACL (canned and per grantee) and tags. */
import { useEffect, useState } from "preact/hooks";
import { MAX_BUCKET_TAGS, MAX_OBJECT_TAGS, tagProblems } from "../lib/rules";
import type { S3 } from "../lib/s3";
import { ALL_USERS, AUTHENTICATED_USERS, PERMISSIONS, type Acl, type Grant, type Grantee, type Permission, type Tag } from "../lib/xml";
import { ErrorBox, Select, Status, useAction, useLoad } from "../ui";

type GranteeKind = "CanonicalUser" | "AmazonCustomerByEmail" | "AllUsers" | "AuthenticatedUsers";
type Row = { kind: GranteeKind; value: string; permission: Permission };

const toRow = (g: Grant): Row => {
  const ge = g.grantee;
  if (ge.type === "Group") return { kind: ge.uri === ALL_USERS ? "AllUsers" : "AuthenticatedUsers", value: "", permission: g.permission };
  if (ge.type === "AmazonCustomerByEmail") return { kind: ge.type, value: ge.email, permission: g.permission };
  return { kind: "CanonicalUser", value: ge.id, permission: g.permission };
};
const toGrant = (r: Row): Grant => {
  const grantee: Grantee =
    r.kind === "AllUsers"
      ? { type: "Group", uri: ALL_USERS }
      : r.kind === "AuthenticatedUsers"
        ? { type: "Group", uri: AUTHENTICATED_USERS }
        : r.kind === "AmazonCustomerByEmail"
          ? { type: r.kind, email: r.value.trim() }
          : { type: "CanonicalUser", id: r.value.trim() };
  return { grantee, permission: r.permission };
};

const KINDS: [GranteeKind, string][] = [
  ["CanonicalUser", "User (canonical id)"],
  ["AmazonCustomerByEmail", "User (e-mail)"],
  ["AllUsers", "All Users (anyone)"],
  ["AuthenticatedUsers", "Authenticated Users"],
];

export function AclEditor({ s3, bucket, objectKey }: { s3: S3; bucket: string; objectKey?: string }) {
  const acl = useLoad(() => s3.getAcl(bucket, objectKey), [s3, bucket, objectKey]);
  const [rows, setRows] = useState<Row[]>([]);
  const [canned, setCanned] = useState("private");
  const save = useAction();
  useEffect(() => acl.data && setRows(acl.data.grants.map(toRow)), [acl.data]);
  const what = objectKey ? "object" : "bucket";
  const cannedOptions: [string, string][] = [
    ["private", "Private: owner only"],
    ["public-read", "Public read: anyone can read"],
    ...(objectKey ? [] : [["public-read-write", "Public read and write (rarely wise)"] as [string, string]]),
    ["authenticated-read", "Any signed-in user can read"],
    ...(objectKey
      ? ([
          ["bucket-owner-read", "Bucket owner can read"],
          ["bucket-owner-full-control", "Bucket owner has full control"],
        ] as [string, string][])
      : []),
  ];
  const problems = rows.flatMap((r, i) =>
    (r.kind === "CanonicalUser" || r.kind === "AmazonCustomerByEmail") && !r.value.trim()
      ? [`Grant ${i + 1}: give the ${r.kind === "CanonicalUser" ? "canonical user id" : "e-mail address"}.`]
      : [],
  );
  const set = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <section class="card" aria-labelledby={`acl-${what}`}>
      <h2 id={`acl-${what}`}>Access control list (ACL)</h2>
      <ErrorBox error={acl.error} />
      {acl.data && (
        <>
          <p>
            Owner: <code>{acl.data.owner.displayName ? `${acl.data.owner.displayName} (${acl.data.owner.id})` : acl.data.owner.id}</code>. The owner always has
            full control.
          </p>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              save.run(async () => {
                await s3.putCannedAcl(canned, bucket, objectKey);
                setRows((await s3.getAcl(bucket, objectKey)).grants.map(toRow));
                return `The ${what} ACL is now ${canned}.`;
              });
            }}
          >
            <Select label="Quick choice (canned ACL)" value={canned} onChange={setCanned} options={cannedOptions} />
            <button type="submit" disabled={save.busy}>
              Apply canned ACL
            </button>
          </form>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (problems.length > 0) return;
              save.run(async () => {
                await s3.putAcl({ owner: acl.data!.owner, grants: rows.map(toGrant) } as Acl, bucket, objectKey);
                setRows((await s3.getAcl(bucket, objectKey)).grants.map(toRow));
                return "Grants saved.";
              });
            }}
          >
            <fieldset>
              <legend>Grants</legend>
              {rows.length === 0 && <p>No grants.</p>}
              <ol class="grants">
                {rows.map((r, i) => (
                  <li key={i} class="grant">
                    <Select label={`Grantee ${i + 1}`} value={r.kind} onChange={(v) => set(i, { kind: v as GranteeKind })} options={KINDS} />
                    {(r.kind === "CanonicalUser" || r.kind === "AmazonCustomerByEmail") && (
                      <div class="field">
                        <label for={`grant-${what}-${i}`}>
                          {r.kind === "CanonicalUser" ? "Canonical user id" : "E-mail address"} {i + 1}
                        </label>
                        <input
                          id={`grant-${what}-${i}`}
                          value={r.value}
                          type={(r.kind === "AmazonCustomerByEmail" ? "email" : "text") as "text"}
                          onInput={(e) => set(i, { value: (e.currentTarget as HTMLInputElement).value })}
                        />
                      </div>
                    )}
                    <Select
                      label={`Permission ${i + 1}`}
                      value={r.permission}
                      onChange={(v) => set(i, { permission: v as Permission })}
                      options={PERMISSIONS.map((p) => [p, p])}
                    />
                    <button type="button" class="danger-outline" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                      Remove grant {i + 1}
                    </button>
                  </li>
                ))}
              </ol>
              <button type="button" onClick={() => setRows((rs) => [...rs, { kind: "CanonicalUser", value: "", permission: "READ" }])}>
                Add grant
              </button>
            </fieldset>
            {problems.length > 0 && (
              <ul class="problems">
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
            <button type="submit" disabled={save.busy || problems.length > 0}>
              Save grants
            </button>
          </form>
          <ErrorBox error={save.error} />
          <Status message={save.message} />
        </>
      )}
    </section>
  );
}

export function TagsEditor({ s3, bucket, objectKey }: { s3: S3; bucket: string; objectKey?: string }) {
  const tags = useLoad(() => s3.getTags(bucket, objectKey), [s3, bucket, objectKey]);
  const [rows, setRows] = useState<Tag[]>([]);
  const save = useAction();
  useEffect(() => tags.data && setRows(tags.data), [tags.data]);
  const max = objectKey ? MAX_OBJECT_TAGS : MAX_BUCKET_TAGS;
  const problems = tagProblems(rows, max);
  const what = objectKey ? "object" : "bucket";
  const set = (i: number, patch: Partial<Tag>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <section class="card" aria-labelledby={`tags-${what}`}>
      <h2 id={`tags-${what}`}>Tags</h2>
      <ErrorBox error={tags.error} />
      {tags.data && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (problems.length > 0) return;
            save.run(async () => {
              await s3.putTags(rows, bucket, objectKey);
              return "Tags saved.";
            });
          }}
        >
          <p class="hint">Up to {max} tags; keys up to 128 characters, values up to 256.</p>
          {rows.length === 0 && <p>No tags.</p>}
          <ol class="pairs">
            {rows.map((t, i) => (
              <li key={i}>
                <div class="field">
                  <label for={`tag-${what}-k${i}`}>Tag key {i + 1}</label>
                  <input id={`tag-${what}-k${i}`} value={t.key} onInput={(e) => set(i, { key: (e.currentTarget as HTMLInputElement).value })} />
                </div>
                <div class="field">
                  <label for={`tag-${what}-v${i}`}>Tag value {i + 1}</label>
                  <input id={`tag-${what}-v${i}`} value={t.value} onInput={(e) => set(i, { value: (e.currentTarget as HTMLInputElement).value })} />
                </div>
                <button type="button" class="danger-outline" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                  Remove tag {i + 1}
                </button>
              </li>
            ))}
          </ol>
          <button type="button" disabled={rows.length >= max} onClick={() => setRows((rs) => [...rs, { key: "", value: "" }])}>
            Add tag
          </button>
          {problems.length > 0 && (
            <ul class="problems">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <button type="submit" disabled={save.busy || problems.length > 0}>
            Save tags
          </button>
          <ErrorBox error={save.error} />
          <Status message={save.message} />
        </form>
      )}
    </section>
  );
}
