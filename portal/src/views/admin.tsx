/** The admin view (admin API with the admin token): users, access keys, usage. */
import { useState } from "preact/hooks";
import { Admin, type Key, type User } from "../lib/admin";
import { useEffect } from "preact/hooks";
import { bucketNameProblem, formatBytes } from "../lib/rules";
import { ConfirmButton, ErrorBox, Field, formatDate, Heading, Select, Status, useAction, useLoad } from "../ui";

export function AdminView({ admin, onSignIn }: { admin: Admin | null; onSignIn: (token: string) => void; zones: string[] }) {
  if (!admin) return <AdminSignIn onSignIn={onSignIn} />;
  return <AdminConsole admin={admin} />;
}

function AdminSignIn({ onSignIn }: { onSignIn: (token: string) => void }) {
  const [token, setToken] = useState("");
  const act = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    act.run(async () => {
      await new Admin(token.trim()).users();
      onSignIn(token.trim());
    });
  };
  return (
    <section class="narrow">
      <Heading>Administration</Heading>
      <p>Sign in with the deployment's admin token (SOS_ADMIN_TOKEN). It stays in this tab's session storage and is sent only to this server's /_admin API.</p>
      <form onSubmit={submit}>
        <Field label="Admin token" name="adminToken" type="password" value={token} onInput={setToken} required autoComplete="current-password" />
        <ErrorBox error={act.error} />
        <button type="submit" disabled={act.busy}>
          Sign in as administrator
        </button>
      </form>
    </section>
  );
}

function AdminConsole({ admin }: { admin: Admin }) {
  const data = useLoad(async () => ({ users: await admin.users(), keys: await admin.keys(), usage: await admin.usage() }), [admin]);
  return (
    <section>
      <Heading>Administration</Heading>
      <ErrorBox error={data.error} />
      {data.data && (
        <>
          <Users admin={admin} users={data.data.users} onChange={data.reload} />
          <Keys admin={admin} users={data.data.users} keys={data.data.keys} onChange={data.reload} />
          <section class="card" aria-labelledby="usage">
            <h2 id="usage">Usage</h2>
            {data.data.usage.length === 0 ? (
              <p>No buckets.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Bucket</th>
                      <th scope="col">Owner</th>
                      <th scope="col">Zone</th>
                      <th scope="col">Objects</th>
                      <th scope="col">Stored</th>
                      <th scope="col">Billed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.data.usage.map((u) => (
                      <tr key={u.name}>
                        <th scope="row">{u.name}</th>
                        <td>{data.data!.users.find((x) => x.userId === u.owner)?.displayName ?? u.owner}</td>
                        <td>{u.zone}</td>
                        <td>{u.objectCount}</td>
                        <td>{formatBytes(u.storedBytes)}</td>
                        <td>{formatBytes(u.billedBytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}

function Users({ admin, users, onChange }: { admin: Admin; users: User[]; onChange: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const act = useAction();
  return (
    <section class="card" aria-labelledby="users">
      <h2 id="users">Users</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Canonical id</th>
              <th scope="col">Bucket limit</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.userId}>
                <th scope="row">{u.displayName}</th>
                <td>{u.email ?? ""}</td>
                <td>
                  <code>{u.userId}</code>
                </td>
                <td>{u.maxBuckets}</td>
                <td>{formatDate(u.createdAt)}</td>
                <td class="actions">
                  <ConfirmButton
                    label="Delete"
                    srSuffix={`user ${u.displayName}`}
                    confirmLabel={`Really delete user ${u.displayName}`}
                    onConfirm={() =>
                      act.run(async () => {
                        await admin.deleteUser(u.userId);
                        onChange();
                        return `User ${u.displayName} deleted.`;
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            await admin.createUser(name.trim(), email.trim() || undefined);
            setName("");
            setEmail("");
            onChange();
            return `User ${name.trim()} created.`;
          });
        }}
      >
        <Field label="New user's name" name="displayName" value={name} onInput={setName} required />
        <Field label="E-mail (optional)" name="email" type="email" value={email} onInput={setEmail} />
        <button type="submit" disabled={act.busy || !name.trim()}>
          Create user
        </button>
      </form>
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}

function Keys({ admin, users, keys, onChange }: { admin: Admin; users: User[]; keys: Key[]; onChange: () => void }) {
  const [userId, setUserId] = useState(users[0]?.userId ?? "");
  useEffect(() => {
    if (!users.some((u) => u.userId === userId) && users[0]) setUserId(users[0].userId);
  }, [users]);
  const [bucket, setBucket] = useState("");
  const [ops, setOps] = useState("full");
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const act = useAction();
  const problem = bucket ? bucketNameProblem(bucket) : null;
  const nameOf = (id: string) => users.find((u) => u.userId === id)?.displayName ?? id;
  const opsText = (o: Key["operations"]) => (Array.isArray(o) ? o.join(", ") : o);
  return (
    <section class="card" aria-labelledby="keys">
      <h2 id="keys">Access keys</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Access key</th>
              <th scope="col">User</th>
              <th scope="col">Bucket</th>
              <th scope="col">Operations</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.accessKeyId}>
                <th scope="row">
                  <code>{k.accessKeyId}</code>
                </th>
                <td>{nameOf(k.userId)}</td>
                <td>{k.bucket ?? "all"}</td>
                <td>{opsText(k.operations)}</td>
                <td>{k.enabled ? "enabled" : "disabled"}</td>
                <td class="actions">
                  <button
                    type="button"
                    onClick={() =>
                      act.run(async () => {
                        await admin.setKeyEnabled(k.accessKeyId, !k.enabled);
                        onChange();
                        return `Key ${k.accessKeyId} ${k.enabled ? "disabled" : "enabled"}.`;
                      })
                    }
                  >
                    {k.enabled ? "Disable" : "Enable"}
                    <span class="sr-only"> key {k.accessKeyId}</span>
                  </button>
                  <ConfirmButton
                    label="Delete"
                    srSuffix={`key ${k.accessKeyId}`}
                    confirmLabel={`Really delete key ${k.accessKeyId}`}
                    onConfirm={() =>
                      act.run(async () => {
                        await admin.deleteKey(k.accessKeyId);
                        onChange();
                        return `Key ${k.accessKeyId} deleted.`;
                      })
                    }
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (problem) return;
          act.run(async () => {
            const k = await admin.createKey(userId, bucket.trim() || null, ops);
            setCreated({ id: k.accessKeyId, secret: k.secretAccessKey });
            onChange();
            return `Key ${k.accessKeyId} created.`;
          });
        }}
      >
        <h3>Create a key</h3>
        <Select label="For user" value={userId} onChange={setUserId} options={users.map((u) => [u.userId, u.displayName])} />
        <Field
          label="Restrict to bucket (optional)"
          name="keyBucket"
          value={bucket}
          onInput={setBucket}
          problems={problem ? [problem] : []}
          hint="Empty: all of the user's buckets."
        />
        <Select
          label="Operations"
          value={ops}
          onChange={setOps}
          options={[
            ["full", "Full"],
            ["read-only", "Read only"],
            ["write-only", "Write only"],
          ]}
        />
        <button type="submit" disabled={act.busy || !userId || !!problem}>
          Create key
        </button>
      </form>
      {created && (
        <section class="secret" aria-label="New key">
          <p>
            <strong>Copy the secret now: it is shown only once.</strong>
          </p>
          <dl class="facts">
            <dt>Access key id</dt>
            <dd>
              <code id="new-key-id">{created.id}</code>
            </dd>
            <dt>Secret access key</dt>
            <dd>
              <code id="new-key-secret">{created.secret}</code>
            </dd>
          </dl>
        </section>
      )}
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}
