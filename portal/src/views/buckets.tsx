/** The bucket list (zone, versioning, usage for admins), bucket creation with live name rules, deletion. */
import { useState } from "preact/hooks";
import type { Admin, Usage } from "../lib/admin";
import { bucketNameProblem, formatBytes } from "../lib/rules";
import { S3Failure, type S3 } from "../lib/s3";
import { href, type Session } from "../session";
import { ErrorBox, Field, formatDate, Heading, Select, Status, useAction, useLoad } from "../ui";

type Row = { name: string; created: string; zone?: string; versioning?: string; usage?: Usage };

async function loadBuckets(s3: S3, admin: Admin | null): Promise<{ rows: Row[]; denied: boolean }> {
  let listed: Awaited<ReturnType<S3["listBuckets"]>>;
  try {
    listed = await s3.listBuckets();
  } catch (e) {
    if (e instanceof S3Failure && e.code === "AccessDenied") return { rows: [], denied: true };
    throw e;
  }
  const usage = admin ? await admin.usage().catch(() => [] as Usage[]) : [];
  const rows = await Promise.all(
    listed.buckets.map(async (b) => {
      const [zone, versioning] = await Promise.all([s3.location(b.name).catch(() => "?"), s3.versioning(b.name).catch(() => "?")]);
      return { ...b, zone, versioning: versioning || "Off", usage: usage.find((u) => u.name === b.name) };
    }),
  );
  return { rows, denied: false };
}

export function BucketList({ s3, session, zones, admin }: { s3: S3; session: Session; zones: string[]; admin: Admin | null }) {
  const list = useLoad(() => loadBuckets(s3, admin), [s3, admin]);
  const [open, setOpen] = useState(session.bucket ?? "");
  const del = useAction();
  const [confirming, setConfirming] = useState<string | null>(null);

  const remove = (name: string) =>
    del.run(async () => {
      await s3.deleteBucket(name);
      setConfirming(null);
      list.reload();
      return `Bucket ${name} deleted.`;
    });

  return (
    <section>
      <Heading>Buckets</Heading>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (open.trim()) location.hash = href(["bucket", open.trim()]);
        }}
      >
        <Field
          label="Open a bucket by name"
          name="openBucket"
          value={open}
          onInput={setOpen}
          hint="Keys restricted to one bucket cannot list buckets: type its name."
        />
        <button type="submit">Open</button>
      </form>
      <ErrorBox error={list.error} />
      {list.data?.denied && <p class="note">This key may not list buckets (it is probably restricted to one bucket): open yours by name above.</p>}
      {list.loading && <p>Loading buckets…</p>}
      {list.data &&
        !list.data.denied &&
        (list.data.rows.length === 0 ? (
          <p>No buckets yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Your buckets</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Zone</th>
                  <th scope="col">Versioning</th>
                  {admin && <th scope="col">Usage</th>}
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.rows.map((b) => (
                  <tr key={b.name}>
                    <th scope="row">
                      <a href={href(["bucket", b.name])}>{b.name}</a>
                    </th>
                    <td>{b.zone}</td>
                    <td>{b.versioning}</td>
                    {admin && <td>{b.usage ? `${b.usage.objectCount} objects, ${formatBytes(b.usage.storedBytes)}` : "–"}</td>}
                    <td>{formatDate(b.created)}</td>
                    <td class="actions">
                      <a href={href(["bucket", b.name, "settings"])}>
                        Settings<span class="sr-only"> of {b.name}</span>
                      </a>
                      {confirming === b.name ? (
                        <>
                          <button type="button" class="danger" disabled={del.busy} onClick={() => remove(b.name)}>
                            Really delete {b.name}
                          </button>
                          <button
                            type="button"
                            onClick={() => {
                              setConfirming(null);
                              del.clear();
                            }}
                          >
                            Keep
                          </button>
                        </>
                      ) : (
                        <button
                          type="button"
                          class="danger-outline"
                          onClick={() => {
                            setConfirming(b.name);
                            del.clear();
                          }}
                        >
                          Delete<span class="sr-only"> {b.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <ErrorBox error={del.error} />
      <Status message={del.message} />
      <CreateBucket s3={s3} zones={zones} onCreated={list.reload} />
    </section>
  );
}

function CreateBucket({ s3, zones, onCreated }: { s3: S3; zones: string[]; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [zone, setZone] = useState("");
  const [acl, setAcl] = useState("private");
  const [versioning, setVersioning] = useState(false);
  const create = useAction();
  const problem = name ? bucketNameProblem(name) : null;

  const submit = (e: Event) => {
    e.preventDefault();
    if (bucketNameProblem(name)) return;
    create.run(async () => {
      await s3.createBucket(name, zone || undefined, acl === "private" ? undefined : acl);
      if (versioning) await s3.setVersioning(name, "Enabled");
      setName("");
      onCreated();
      return `Bucket ${name} created.`;
    });
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-bucket">
      <h2 id="create-bucket">Create a bucket</h2>
      <Field
        label="Bucket name"
        name="bucketName"
        value={name}
        onInput={(v) => setName(v)}
        required
        hint="3–63 characters: lowercase letters, digits, dots and hyphens; starts and ends with a letter or digit; unique on this server."
        problems={problem ? [problem] : []}
      />
      <Select
        label="Zone"
        value={zone}
        onChange={setZone}
        options={[["", zones[0] ? `${zones[0]} (default)` : "Default zone"], ...zones.slice(1).map((z) => [z, z] as [string, string])]}
      />
      <Select
        label="Access"
        value={acl}
        onChange={setAcl}
        options={[
          ["private", "Private (owner only)"],
          ["public-read", "Public read (anyone can list and download)"],
          ["authenticated-read", "Any signed-in user can read"],
        ]}
      />
      <label class="check">
        <input type="checkbox" checked={versioning} onChange={(e) => setVersioning((e.currentTarget as HTMLInputElement).checked)} /> Turn on versioning
      </label>
      <ErrorBox error={create.error} />
      <Status message={create.message} />
      <button type="submit" disabled={create.busy || !name || !!problem}>
        Create bucket
      </button>
    </form>
  );
}
