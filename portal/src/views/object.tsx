/** One object: details, download, share link, metadata (edited in place), tags, ACL, versions, delete. */
import { useEffect, useState } from "preact/hooks";
import { formatBytes, metadataProblems, metadataToSend, SYSTEM_HEADERS } from "../lib/rules";
import type { ObjectHead, S3 } from "../lib/s3";
import type { Tag } from "../lib/xml";
import { href } from "../session";
import { ErrorBox, formatDate, Heading, Select, Status, useAction, useLoad } from "../ui";
import { AclEditor, TagsEditor } from "./editors";
import { download } from "./objects";

const parentPrefix = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);

export function ObjectView({ s3, bucket, objectKey }: { s3: S3; bucket: string; objectKey: string }) {
  const head = useLoad(() => s3.head(bucket, objectKey), [s3, bucket, objectKey]);
  const del = useAction();
  const [confirm, setConfirm] = useState(false);
  const back = href(["bucket", bucket], { prefix: parentPrefix(objectKey) || undefined });
  return (
    <section>
      <Heading>{objectKey}</Heading>
      <p>
        <a href={back}>
          ← Back to {bucket}/{parentPrefix(objectKey)}
        </a>
      </p>
      <ErrorBox error={head.error} />
      {head.data && (
        <>
          <dl class="facts">
            <dt>Size</dt>
            <dd>
              {formatBytes(head.data.size)} ({head.data.size.toLocaleString()} bytes)
            </dd>
            <dt>Last modified</dt>
            <dd>{formatDate(head.data.lastModified)}</dd>
            <dt>ETag</dt>
            <dd>
              <code>{head.data.etag}</code>
            </dd>
            {head.data.versionId && (
              <>
                <dt>Version</dt>
                <dd>
                  <code>{head.data.versionId}</code>
                </dd>
              </>
            )}
          </dl>
          <div class="toolbar">
            <button type="button" onClick={() => del.run(() => download(s3, bucket, objectKey))}>
              Download
            </button>
            {confirm ? (
              <>
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    del.run(async () => {
                      await s3.deleteObject(bucket, objectKey);
                      location.hash = back;
                      return "Deleted.";
                    })
                  }
                >
                  Really delete {objectKey}
                </button>
                <button type="button" onClick={() => setConfirm(false)}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" class="danger-outline" onClick={() => setConfirm(true)}>
                Delete
              </button>
            )}
          </div>
          <ErrorBox error={del.error} />
          <Status message={del.message} />
          <ShareLink s3={s3} bucket={bucket} objectKey={objectKey} />
          <MetadataEditor s3={s3} bucket={bucket} objectKey={objectKey} head={head.data} onSaved={head.reload} />
          <TagsEditor s3={s3} bucket={bucket} objectKey={objectKey} />
          <AclEditor s3={s3} bucket={bucket} objectKey={objectKey} />
          <Versions s3={s3} bucket={bucket} objectKey={objectKey} onChange={head.reload} />
        </>
      )}
    </section>
  );
}

const EXPIRIES: [string, string][] = [
  ["900", "15 minutes"],
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "7 days (the longest S3 allows)"],
];

function ShareLink({ s3, bucket, objectKey }: { s3: S3; bucket: string; objectKey: string }) {
  const [seconds, setSeconds] = useState("3600");
  const [url, setUrl] = useState("");
  const act = useAction();
  return (
    <section class="card" aria-labelledby="share">
      <h2 id="share">Share link</h2>
      <p class="hint">
        A presigned URL: anyone with it can download this object until it expires, without a key. It is signed with your key, so it stops working if the key is
        disabled.
      </p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(async () => {
            setUrl(await s3.presign(bucket, objectKey, Number(seconds)));
            return "Link created.";
          });
        }}
      >
        <Select label="Expires after" value={seconds} onChange={setSeconds} options={EXPIRIES} />
        <button type="submit">Create link</button>
      </form>
      {url && (
        <div class="field">
          <label for="share-url">Share link (valid {EXPIRIES.find(([s]) => s === seconds)?.[1]})</label>
          <input id="share-url" readOnly value={url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <button
            type="button"
            onClick={() =>
              act.run(async () => {
                await navigator.clipboard.writeText(url);
                return "Copied.";
              })
            }
          >
            Copy link
          </button>
        </div>
      )}
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}

function MetadataEditor({ s3, bucket, objectKey, head, onSaved }: { s3: S3; bucket: string; objectKey: string; head: ObjectHead; onSaved: () => void }) {
  const [system, setSystem] = useState<Record<string, string>>(head.system);
  const [meta, setMeta] = useState<Tag[]>(head.meta);
  const save = useAction();
  useEffect(() => {
    setSystem(head.system);
    setMeta(head.meta);
  }, [head]);
  const problems = metadataProblems(meta.filter((m) => m.key || m.value));
  const setM = (i: number, patch: Partial<Tag>) => setMeta((ms) => ms.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const submit = (e: Event) => {
    e.preventDefault();
    if (problems.length) return;
    save.run(async () => {
      await s3.replaceMetadata(
        bucket,
        objectKey,
        metadataToSend(system, head.system),
        meta.filter((m) => m.key),
      );
      onSaved();
      return "Metadata saved (the object's tags and ACL were kept).";
    });
  };
  return (
    <section class="card" aria-labelledby="metadata">
      <h2 id="metadata">Metadata</h2>
      <form onSubmit={submit}>
        <fieldset>
          <legend>System headers</legend>
          {SYSTEM_HEADERS.map((h) => (
            <div class="field" key={h}>
              <label for={`sys-${h}`}>{h}</label>
              <input
                id={`sys-${h}`}
                name={h}
                value={system[h] ?? ""}
                aria-describedby={h === "Content-Encoding" ? "enc-hint" : undefined}
                onInput={(e) => setSystem((s) => ({ ...s, [h]: (e.currentTarget as HTMLInputElement).value }))}
              />
              {h === "Content-Encoding" && (
                <small id="enc-hint" class="hint">
                  A browser cannot tell a stored gzip/br encoding from compression on the way, so an unchanged gzip, br, deflate or zstd here is not saved: type
                  it again to keep it.
                </small>
              )}
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>User metadata (x-amz-meta-*)</legend>
          {meta.length === 0 && <p>None.</p>}
          <ol class="pairs">
            {meta.map((m, i) => (
              <li key={i}>
                <div class="field">
                  <label for={`meta-k${i}`}>Name {i + 1} (after x-amz-meta-)</label>
                  <input id={`meta-k${i}`} value={m.key} onInput={(e) => setM(i, { key: (e.currentTarget as HTMLInputElement).value })} />
                </div>
                <div class="field">
                  <label for={`meta-v${i}`}>Value {i + 1}</label>
                  <input id={`meta-v${i}`} value={m.value} onInput={(e) => setM(i, { value: (e.currentTarget as HTMLInputElement).value })} />
                </div>
                <button type="button" class="danger-outline" onClick={() => setMeta((ms) => ms.filter((_, j) => j !== i))}>
                  Remove metadata {i + 1}
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setMeta((ms) => [...ms, { key: "", value: "" }])}>
            Add metadata
          </button>
        </fieldset>
        {problems.length > 0 && (
          <ul class="problems">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <p class="hint">Saving copies the object onto itself with the new metadata (CopyObject, REPLACE), keeping its tags, and puts its ACL back.</p>
        <button type="submit" disabled={save.busy || problems.length > 0}>
          Save metadata
        </button>
        <ErrorBox error={save.error} />
        <Status message={save.message} />
      </form>
    </section>
  );
}

function Versions({ s3, bucket, objectKey, onChange }: { s3: S3; bucket: string; objectKey: string; onChange: () => void }) {
  const versions = useLoad(() => s3.versions(bucket, objectKey), [s3, bucket, objectKey]);
  const act = useAction();
  const [confirm, setConfirm] = useState<string | null>(null);
  const reload = () => {
    versions.reload();
    onChange();
  };
  return (
    <section class="card" aria-labelledby="versions">
      <h2 id="versions">Versions</h2>
      <ErrorBox error={versions.error} />
      {versions.data &&
        (versions.data.length <= 1 && versions.data.every((v) => v.versionId === "null") ? (
          <p>Only one version. Turn versioning on in the bucket's settings to keep older versions.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Versions of {objectKey}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Size</th>
                  <th scope="col">Last modified</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {versions.data.map((v) => (
                  <tr key={v.versionId}>
                    <th scope="row">
                      <code>{v.versionId}</code>
                      {v.isLatest ? " (current)" : ""}
                      {v.deleteMarker ? " (delete marker)" : ""}
                    </th>
                    <td>{v.deleteMarker ? "–" : formatBytes(v.size)}</td>
                    <td>{formatDate(v.lastModified)}</td>
                    <td class="actions">
                      {!v.deleteMarker && (
                        <button type="button" onClick={() => act.run(() => download(s3, bucket, objectKey, v.versionId))}>
                          Download<span class="sr-only"> version {v.versionId}</span>
                        </button>
                      )}
                      {!v.isLatest && !v.deleteMarker && (
                        <button
                          type="button"
                          onClick={() =>
                            act.run(async () => {
                              await s3.restoreVersion(bucket, objectKey, v.versionId);
                              reload();
                              return `Version ${v.versionId} restored as the current version.`;
                            })
                          }
                        >
                          Restore<span class="sr-only"> version {v.versionId}</span>
                        </button>
                      )}
                      {confirm === v.versionId ? (
                        <>
                          <button
                            type="button"
                            class="danger"
                            onClick={() =>
                              act.run(async () => {
                                await s3.deleteObject(bucket, objectKey, v.versionId);
                                setConfirm(null);
                                reload();
                                return `Version ${v.versionId} deleted for good.`;
                              })
                            }
                          >
                            Really delete version {v.versionId}
                          </button>
                          <button type="button" onClick={() => setConfirm(null)}>
                            Keep
                          </button>
                        </>
                      ) : (
                        <button type="button" class="danger-outline" onClick={() => setConfirm(v.versionId)}>
                          Delete<span class="sr-only"> version {v.versionId}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}
