/** A bucket's settings: versioning, tags, ACL, CORS (rule editor and raw XML), deletion. */
import { useState } from "preact/hooks";
import { CORS_METHODS, corsProblems, splitList, type CorsRule } from "../lib/cors";
import { parseCors, S3Failure, type S3 } from "../lib/s3";
import { corsXml } from "../lib/xml";
import { href } from "../session";
import { ErrorBox, Field, Heading, Status, useAction, useLoad } from "../ui";
import { AclEditor, TagsEditor } from "./editors";
import { BucketTabs } from "./objects";

export function BucketSettings({ s3, bucket }: { s3: S3; bucket: string }) {
  return (
    <section>
      <Heading>{bucket}: settings</Heading>
      <BucketTabs bucket={bucket} current="settings" />
      <Versioning s3={s3} bucket={bucket} />
      <TagsEditor s3={s3} bucket={bucket} />
      <AclEditor s3={s3} bucket={bucket} />
      <CorsEditor s3={s3} bucket={bucket} />
      <DeleteBucket s3={s3} bucket={bucket} />
    </section>
  );
}

function Versioning({ s3, bucket }: { s3: S3; bucket: string }) {
  const status = useLoad(() => s3.versioning(bucket), [s3, bucket]);
  const act = useAction();
  const on = status.data === "Enabled";
  return (
    <section class="card" aria-labelledby="versioning">
      <h2 id="versioning">Versioning</h2>
      <ErrorBox error={status.error} />
      {status.data !== undefined && (
        <>
          <p>
            Versioning is <strong>{status.data === "Enabled" ? "on" : status.data === "Suspended" ? "suspended" : "off (never enabled)"}</strong>.
          </p>
          <button
            type="button"
            disabled={act.busy}
            onClick={() =>
              act.run(async () => {
                await s3.setVersioning(bucket, on ? "Suspended" : "Enabled");
                status.reload();
                return on ? "Versioning suspended: existing versions are kept." : "Versioning is on.";
              })
            }
          >
            {on ? "Suspend versioning" : "Turn versioning on"}
          </button>
        </>
      )}
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}

type RuleText = { id: string; origins: string; methods: string[]; headers: string; expose: string; maxAge: string };
const toText = (r: CorsRule): RuleText => ({
  id: r.id ?? "",
  origins: r.allowedOrigins.join("\n"),
  methods: r.allowedMethods,
  headers: r.allowedHeaders.join("\n"),
  expose: r.exposeHeaders.join("\n"),
  maxAge: r.maxAgeSeconds === undefined ? "" : String(r.maxAgeSeconds),
});
const toRule = (t: RuleText): CorsRule => ({
  id: t.id.trim() || undefined,
  allowedOrigins: splitList(t.origins),
  allowedMethods: t.methods,
  allowedHeaders: splitList(t.headers),
  exposeHeaders: splitList(t.expose),
  maxAgeSeconds: t.maxAge.trim() === "" ? undefined : Number(t.maxAge),
});
const emptyRule = (): RuleText => ({ id: "", origins: "", methods: ["GET"], headers: "", expose: "ETag", maxAge: "3000" });

function CorsEditor({ s3, bucket }: { s3: S3; bucket: string }) {
  const current = useLoad(() => s3.getCorsXml(bucket), [s3, bucket]);
  return (
    <section class="card" aria-labelledby="cors">
      <h2 id="cors">CORS</h2>
      <p class="hint">Which other web sites (origins) may call this bucket from a browser. The portal itself needs no rule.</p>
      <ErrorBox error={current.error} />
      {current.data !== undefined && <CorsForm s3={s3} bucket={bucket} initial={current.data} />}
    </section>
  );
}

/** The editor proper, created once the current configuration (or its absence) is known. */
function CorsForm({ s3, bucket, initial }: { s3: S3; bucket: string; initial: string | null }) {
  const [rules, setRules] = useState<RuleText[]>(() => (initial ? parseCors(initial).map(toText) : []));
  const [exists, setExists] = useState(initial !== null);
  const [mode, setMode] = useState<"rules" | "xml">("rules");
  const [raw, setRaw] = useState(initial ?? corsXml([toRule(emptyRule())]));
  const [rawProblems, setRawProblems] = useState<string[]>([]);
  const act = useAction();

  const problems = corsProblems(rules.map(toRule));
  const set = (i: number, patch: Partial<RuleText>) => setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const checkRaw = (xml: string): string[] => {
    try {
      return corsProblems(parseCors(xml));
    } catch (e) {
      return [e instanceof S3Failure ? e.message : String(e)];
    }
  };
  const switchTo = (m: "rules" | "xml") => {
    if (m === "xml") setRaw(corsXml(rules.map(toRule)));
    else {
      const p = checkRaw(raw);
      setRawProblems(p);
      if (p.length && !p[0].startsWith("Add at least")) return;
      setRules(parseCors(raw).map(toText));
    }
    setMode(m);
  };

  const saveRules = (e: Event) => {
    e.preventDefault();
    if (problems.length) return;
    act.run(async () => {
      await s3.putCors(bucket, rules.map(toRule));
      setExists(true);
      return "CORS rules saved.";
    });
  };
  const saveRaw = (e: Event) => {
    e.preventDefault();
    const p = checkRaw(raw);
    setRawProblems(p);
    if (p.length) return;
    act.run(async () => {
      await s3.putCorsXml(bucket, raw);
      setRules(parseCors(raw).map(toText));
      setExists(true);
      return "CORS configuration saved.";
    });
  };

  return (
    <>
      <fieldset aria-label="Editor" class="toolbar">
        <button type="button" aria-pressed={mode === "rules"} onClick={() => switchTo("rules")}>
          Rule editor
        </button>
        <button type="button" aria-pressed={mode === "xml"} onClick={() => switchTo("xml")}>
          Raw XML
        </button>
      </fieldset>
      {mode === "rules" ? (
        <form onSubmit={saveRules}>
          {rules.length === 0 && <p>No CORS rules: browsers on other sites cannot call this bucket.</p>}
          {rules.map((r, i) => (
            <fieldset key={i} class="rule">
              <legend>Rule {i + 1}</legend>
              <Field
                label={`Allowed origins (rule ${i + 1})`}
                hint="One per line, e.g. https://app.example.com or *."
                multiline
                rows={2}
                value={r.origins}
                onInput={(v) => set(i, { origins: v })}
              />
              <fieldset class="methods">
                <legend>Allowed methods (rule {i + 1})</legend>
                {CORS_METHODS.map((m) => (
                  <label class="check" key={m}>
                    <input
                      type="checkbox"
                      checked={r.methods.includes(m)}
                      onChange={(e) =>
                        set(i, { methods: (e.currentTarget as HTMLInputElement).checked ? [...r.methods, m] : r.methods.filter((x) => x !== m) })
                      }
                    />{" "}
                    {m}
                  </label>
                ))}
              </fieldset>
              <Field
                label={`Allowed headers (rule ${i + 1})`}
                hint="Request headers the browser may send; * for any."
                multiline
                rows={2}
                value={r.headers}
                onInput={(v) => set(i, { headers: v })}
              />
              <Field
                label={`Exposed headers (rule ${i + 1})`}
                hint="Response headers scripts may read, e.g. ETag."
                multiline
                rows={2}
                value={r.expose}
                onInput={(v) => set(i, { expose: v })}
              />
              <Field label={`Max age in seconds (rule ${i + 1})`} type="number" value={r.maxAge} onInput={(v) => set(i, { maxAge: v })} />
              <Field label={`ID (rule ${i + 1}, optional)`} value={r.id} onInput={(v) => set(i, { id: v })} />
              <button type="button" class="danger-outline" onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}>
                Remove rule {i + 1}
              </button>
            </fieldset>
          ))}
          <button type="button" onClick={() => setRules((rs) => [...rs, emptyRule()])}>
            Add rule
          </button>
          {rules.length > 0 && problems.length > 0 && (
            <ul class="problems">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <button type="submit" disabled={act.busy || rules.length === 0 || problems.length > 0}>
            Save CORS rules
          </button>
          {exists && (
            <button
              type="button"
              class="danger-outline"
              onClick={() =>
                act.run(async () => {
                  await s3.deleteCors(bucket);
                  setExists(false);
                  setRules([]);
                  return "CORS configuration deleted.";
                })
              }
            >
              Delete CORS configuration
            </button>
          )}
        </form>
      ) : (
        <form onSubmit={saveRaw}>
          <Field
            label="CORS configuration (XML)"
            multiline
            rows={14}
            value={raw}
            onInput={(v) => {
              setRaw(v);
              setRawProblems(checkRaw(v));
            }}
            problems={rawProblems}
          />
          <button type="submit" disabled={act.busy}>
            Save XML
          </button>
        </form>
      )}
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </>
  );
}

function DeleteBucket({ s3, bucket }: { s3: S3; bucket: string }) {
  const act = useAction();
  const [typed, setTyped] = useState("");
  return (
    <section class="card danger-zone" aria-labelledby="delete-bucket">
      <h2 id="delete-bucket">Delete this bucket</h2>
      <p>Only an empty bucket can be deleted (no objects, no old versions).</p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed !== bucket) return;
          act.run(async () => {
            await s3.deleteBucket(bucket);
            location.hash = href(["buckets"]);
            return "Deleted.";
          });
        }}
      >
        <Field label={`Type ${bucket} to confirm`} value={typed} onInput={setTyped} />
        <button type="submit" class="danger" disabled={typed !== bucket || act.busy}>
          Delete bucket
        </button>
      </form>
      <ErrorBox error={act.error} />
      <Status message={act.message} />
    </section>
  );
}
