/** A bucket's objects: folders by prefix, prefix search, sort, pages by continuation token, uploads, deletes. */
import { useEffect, useState } from "preact/hooks";
import { formatBytes, relativeName } from "../lib/rules";
import type { ListedObject, S3 } from "../lib/s3";
import { href } from "../session";
import { ErrorBox, Field, formatDate, Heading, Select, Status, useAction, useLoad } from "../ui";
import { Uploads } from "./uploads";

const PAGE_SIZE = 100;
type SortKey = "name" | "size" | "date";

export function BucketTabs({ bucket, current }: { bucket: string; current: "objects" | "settings" }) {
  return (
    <nav aria-label="Bucket" class="tabs">
      <a href={href(["bucket", bucket])} aria-current={current === "objects" ? "page" : undefined}>
        Objects
      </a>
      <a href={href(["bucket", bucket, "settings"])} aria-current={current === "settings" ? "page" : undefined}>
        Settings
      </a>
    </nav>
  );
}

function Breadcrumbs({ bucket, prefix }: { bucket: string; prefix: string }) {
  const parts = prefix.split("/").filter(Boolean);
  return (
    <nav aria-label="Folder" class="crumbs">
      <ol>
        <li>
          <a href={href(["bucket", bucket])}>{bucket}</a>
        </li>
        {parts.map((p, i) => {
          const to = parts.slice(0, i + 1).join("/") + "/";
          return (
            <li key={to}>{i === parts.length - 1 ? <span aria-current="location">{p}</span> : <a href={href(["bucket", bucket], { prefix: to })}>{p}</a>}</li>
          );
        })}
      </ol>
    </nav>
  );
}

function sortObjects(objects: ListedObject[], key: SortKey, desc: boolean): ListedObject[] {
  const cmp = (a: ListedObject, b: ListedObject) =>
    key === "size" ? a.size - b.size : key === "date" ? a.lastModified.localeCompare(b.lastModified) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  return [...objects].sort((a, b) => (desc ? -cmp(a, b) : cmp(a, b)));
}

export async function download(s3: S3, bucket: string, key: string, versionId?: string) {
  const name = key.split("/").pop() || "download";
  const url = await s3.presign(bucket, key, 300, {
    "response-content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
    ...(versionId ? { versionId } : {}),
  });
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function BucketView({ s3, bucket, query, partSize }: { s3: S3; bucket: string; query: URLSearchParams; partSize: number }) {
  const prefix = query.get("prefix") ?? "";
  const [search, setSearch] = useState("");
  const [applied, setApplied] = useState("");
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [sort, setSort] = useState<SortKey>("name");
  const [desc, setDesc] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<string | null>(null);
  const action = useAction();
  useEffect(() => {
    setTokens([undefined]);
    setSelected(new Set());
    setSearch("");
    setApplied("");
  }, [bucket, prefix]);

  const token = tokens[tokens.length - 1];
  const list = useLoad(() => s3.list(bucket, { prefix: prefix + applied, delimiter: "/", token, maxKeys: PAGE_SIZE }), [s3, bucket, prefix, applied, token]);
  const refresh = () => {
    setSelected(new Set());
    list.reload();
  };

  const toggle = (key: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(key)) n.delete(key);
      else n.add(key);
      return n;
    });

  const deleteSelected = () =>
    action.run(async () => {
      const keys = [...selected];
      const failed = await s3.deleteMany(
        bucket,
        keys.map((key) => ({ key })),
      );
      setConfirm(null);
      refresh();
      if (failed.length) throw new Error(`${failed.length} of ${keys.length} could not be deleted: ${failed.map((f) => `${f.key} (${f.code})`).join(", ")}`);
      return `Deleted ${keys.length} object${keys.length === 1 ? "" : "s"}.`;
    });

  const deletePrefix = (folder: string) =>
    action.run(async () => {
      let n = 0;
      for await (const keys of s3.allKeys(bucket, folder)) {
        const failed = await s3.deleteMany(
          bucket,
          keys.map((key) => ({ key })),
        );
        if (failed.length) throw new Error(`Stopped: ${failed[0].key} could not be deleted (${failed[0].code}: ${failed[0].message}).`);
        n += keys.length;
      }
      setConfirm(null);
      refresh();
      return `Deleted ${n} object${n === 1 ? "" : "s"} under ${folder}.`;
    });

  const newFolder = (name: string) =>
    action.run(async () => {
      const clean = name.replace(/^\/+|\/+$/g, "");
      if (!clean) throw new Error("Give the folder a name.");
      await s3.send("PUT", { bucket, key: `${prefix}${clean}/`, body: "" });
      refresh();
      return `Folder ${clean}/ created.`;
    });

  const objects = list.data
    ? sortObjects(
        list.data.objects.filter((o) => o.key !== prefix),
        sort,
        desc,
      )
    : [];
  const folders = list.data ? [...list.data.folders].sort((a, b) => (desc && sort === "name" ? b.localeCompare(a) : a.localeCompare(b))) : [];

  return (
    <section>
      <Heading>{bucket}</Heading>
      <BucketTabs bucket={bucket} current="objects" />
      <Breadcrumbs bucket={bucket} prefix={prefix} />
      <div class="toolbar">
        <search>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              setTokens([undefined]);
              setApplied(search);
            }}
          >
            <Field label={`Search names starting with (in ${prefix || "/"})`} name="search" value={search} onInput={setSearch} />
            <button type="submit">Search</button>
            {applied && (
              <button
                type="button"
                onClick={() => {
                  setSearch("");
                  setApplied("");
                  setTokens([undefined]);
                }}
              >
                Clear
              </button>
            )}
          </form>
        </search>
        <Select
          label="Sort by"
          value={sort}
          onChange={(v) => setSort(v as SortKey)}
          options={[
            ["name", "Name"],
            ["size", "Size"],
            ["date", "Last modified"],
          ]}
          hint="Sorts this page."
        />
        <label class="check">
          <input type="checkbox" checked={desc} onChange={(e) => setDesc((e.currentTarget as HTMLInputElement).checked)} /> Descending
        </label>
      </div>
      <ErrorBox error={list.error} />
      {list.loading && <p>Loading…</p>}
      {list.data && (
        <>
          {folders.length + objects.length === 0 ? (
            <p>{applied ? "Nothing matches." : "This folder is empty."}</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption class="sr-only">Folders and objects in {prefix || bucket}</caption>
                <thead>
                  <tr>
                    <th scope="col">
                      <span class="sr-only">Select</span>
                    </th>
                    <th scope="col">Name</th>
                    <th scope="col">Size</th>
                    <th scope="col">Last modified</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {folders.map((f) => (
                    <tr key={f} class="folder">
                      <td></td>
                      <th scope="row">
                        <a href={href(["bucket", bucket], { prefix: f })}>{relativeName(f, prefix)}</a>
                      </th>
                      <td>folder</td>
                      <td></td>
                      <td class="actions">
                        {confirm === f ? (
                          <>
                            <button type="button" class="danger" disabled={action.busy} onClick={() => deletePrefix(f)}>
                              Really delete everything under {relativeName(f, prefix)}
                            </button>
                            <button type="button" onClick={() => setConfirm(null)}>
                              Keep
                            </button>
                          </>
                        ) : (
                          <button type="button" class="danger-outline" onClick={() => setConfirm(f)}>
                            Delete folder<span class="sr-only"> {f}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                  {objects.map((o) => (
                    <tr key={o.key}>
                      <td>
                        <input type="checkbox" aria-label={`Select ${o.key}`} checked={selected.has(o.key)} onChange={() => toggle(o.key)} />
                      </td>
                      <th scope="row">
                        <a href={href(["object", bucket], { key: o.key })}>{relativeName(o.key, prefix)}</a>
                      </th>
                      <td>{formatBytes(o.size)}</td>
                      <td>{formatDate(o.lastModified)}</td>
                      <td class="actions">
                        <button type="button" onClick={() => action.run(() => download(s3, bucket, o.key))}>
                          Download<span class="sr-only"> {o.key}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="toolbar">
            <button type="button" disabled={tokens.length < 2} onClick={() => setTokens((t) => t.slice(0, -1))}>
              Previous page
            </button>
            <span>Page {tokens.length}</span>
            <button type="button" disabled={!list.data.truncated} onClick={() => setTokens((t) => [...t, list.data!.nextToken])}>
              Next page
            </button>
            <button type="button" onClick={refresh}>
              Refresh
            </button>
            {selected.size > 0 &&
              (confirm === "<selected>" ? (
                <>
                  <button type="button" class="danger" disabled={action.busy} onClick={deleteSelected}>
                    Really delete {selected.size} selected
                  </button>
                  <button type="button" onClick={() => setConfirm(null)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" class="danger-outline" onClick={() => setConfirm("<selected>")}>
                  Delete selected ({selected.size})
                </button>
              ))}
          </div>
        </>
      )}
      <ErrorBox error={action.error} />
      <Status message={action.message} />
      <NewFolder onCreate={newFolder} />
      <Uploads s3={s3} bucket={bucket} prefix={prefix} partSize={partSize} onUploaded={refresh} />
    </section>
  );
}

function NewFolder({ onCreate }: { onCreate: (name: string) => void }) {
  const [name, setName] = useState("");
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onCreate(name);
        setName("");
      }}
    >
      <Field label="New folder" name="newFolder" value={name} onInput={setName} />
      <button type="submit" disabled={!name.trim()}>
        Create folder
      </button>
    </form>
  );
}
