/** Uploads into the current folder: drag and drop or file/folder pickers, per-file progress and controls. */
import { useEffect, useRef, useState } from "preact/hooks";
import { formatBytes } from "../lib/rules";
import { describeFailure, type S3 } from "../lib/s3";
import { Upload } from "../lib/upload";
import { Select } from "../ui";

const MiB = 1024 * 1024;
const FILES_AT_ONCE = 2;

/** Files of a dropped folder, with their path inside it (File and Directory Entries API). */
async function filesOf(entry: FileSystemEntry, path = ""): Promise<{ file: File; path: string }[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    return [{ file, path: path + file.name }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: { file: File; path: string }[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
    if (batch.length === 0) return out;
    for (const e of batch) out.push(...(await filesOf(e, `${path}${entry.name}/`)));
  }
}

export function Uploads({ s3, bucket, prefix, partSize, onUploaded }: { s3: S3; bucket: string; prefix: string; partSize: number; onUploaded: () => void }) {
  // The list lives in a ref so that an upload finishing later starts the ones added since.
  const list = useRef<Upload[]>([]);
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);
  const [size, setSize] = useState(String(partSize / MiB));
  // The deployment's default part size (config.json) may arrive after the first render: adopt it
  // unless the user has picked one. Not on mount: a mount effect runs after paint, and a pick made
  // before it (a test does, in the same frame) was overwritten.
  const picked = useRef(false);
  const shownDefault = useRef(partSize);
  const [over, setOver] = useState(false);
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (partSize === shownDefault.current) return;
    shownDefault.current = partSize;
    if (!picked.current) setSize(String(partSize / MiB));
  }, [partSize]);
  useEffect(() => folder.current?.setAttribute("webkitdirectory", ""), []);

  const pump = () => {
    const all = list.current;
    const running = all.filter((u) => u.state === "uploading").length;
    all
      .filter((u) => u.state === "queued")
      .slice(0, Math.max(0, FILES_AT_ONCE - running))
      .forEach((u) => {
        u.start().then(pump);
      });
    if (running === 0 && all.some((u) => u.state === "done") && !all.some((u) => u.state === "queued")) onUploaded();
  };

  const add = (picked: { file: File; path: string }[]) => {
    list.current = [...list.current, ...picked.map((p) => new Upload(s3, bucket, prefix + p.path, p.file, Number(size) * MiB, rerender))];
    pump();
    rerender();
  };

  const fromInput = (input: HTMLInputElement | null) => {
    if (!input?.files) return;
    add([...input.files].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
    input.value = "";
  };

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const items = [...(e.dataTransfer?.items ?? [])];
    const entries = items.map((i) => i.webkitGetAsEntry?.()).filter(Boolean) as FileSystemEntry[];
    if (entries.length) add((await Promise.all(entries.map((en) => filesOf(en)))).flat());
    else add([...(e.dataTransfer?.files ?? [])].map((file) => ({ file, path: file.name })));
  };

  const active = list.current.filter((u) => u.state !== "cancelled");
  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload to {prefix || "the bucket's top level"}</h2>
      {/* A labelled region (not a bare div) takes the drops; keyboard users have the two file choosers inside it. */}
      <section
        class={`drop${over ? " over" : ""}`}
        aria-labelledby="drop-hint"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p id="drop-hint">Drop files or folders here, or choose them:</p>
        <label class="button">
          Choose files
          <input ref={files} type="file" multiple class="visually-hidden-input" name="files" onChange={() => fromInput(files.current)} />
        </label>
        <label class="button">
          Choose a folder
          <input ref={folder} type="file" multiple class="visually-hidden-input" name="folder" onChange={() => fromInput(folder.current)} />
        </label>
      </section>
      <Select
        label="Multipart part size"
        value={size}
        onChange={(v) => {
          picked.current = true;
          setSize(v);
        }}
        options={[
          ["5", "5 MiB"],
          ["8", "8 MiB"],
          ["16", "16 MiB"],
          ["64", "64 MiB"],
        ]}
        hint="Files larger than one part go up in parts (pause, resume and retry work part by part)."
      />
      {active.length > 0 && (
        <>
          <ul class="uploads" aria-label="Uploads">
            {active.map((u) => (
              <li key={u.key + u.file.size} class={`upload ${u.state}`}>
                <div class="upload-head">
                  <span class="name">{u.key}</span>
                  <span>
                    {formatBytes(u.file.size)}
                    {u.multipart ? ` · ${u.partsDone}/${u.partCount} parts` : ""}
                  </span>
                </div>
                <progress max={1} value={u.progress} aria-label={`Progress of ${u.key}`}>
                  {Math.round(u.progress * 100)}%
                </progress>
                <div class="upload-foot">
                  <span class="state" data-state={u.state}>
                    {u.state === "error"
                      ? `Failed: ${describeFailure(u.error).words}${describeFailure(u.error).code ? ` (${describeFailure(u.error).code})` : ""}`
                      : labelOf(u)}
                  </span>
                  {u.state === "uploading" && u.multipart && (
                    <button type="button" onClick={() => u.pause()}>
                      Pause<span class="sr-only"> {u.key}</span>
                    </button>
                  )}
                  {u.state === "paused" && (
                    <button type="button" onClick={() => u.start().then(pump)}>
                      Resume<span class="sr-only"> {u.key}</span>
                    </button>
                  )}
                  {u.state === "error" && (
                    <button type="button" onClick={() => u.start().then(pump)}>
                      Retry<span class="sr-only"> {u.key}</span>
                    </button>
                  )}
                  {u.state !== "done" && (
                    <button type="button" class="danger-outline" onClick={() => u.cancel().then(rerender)}>
                      Cancel<span class="sr-only"> {u.key}</span>
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => {
              list.current = list.current.filter((u) => u.state !== "done" && u.state !== "cancelled");
              rerender();
            }}
          >
            Clear finished
          </button>
        </>
      )}
    </section>
  );
}

function labelOf(u: Upload): string {
  const pct = `${Math.round(u.progress * 100)}%`;
  return { queued: "Waiting", uploading: `Uploading ${pct}`, paused: `Paused at ${pct}`, done: "Done", error: "Failed", cancelled: "Cancelled" }[u.state];
}
