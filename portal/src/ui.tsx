/** Small shared pieces: error display (words + S3 code), async state, form fields. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeFailure } from "./lib/s3";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const { words, code, requestId } = describeFailure(error);
  return (
    <div class="error" role="alert">
      <strong>{words}</strong>
      {code && (
        <span class="code">
          {" "}
          S3 error code: <code>{code}</code>
          {requestId && (
            <>
              {" "}
              · request id <code>{requestId}</code>
            </>
          )}
        </span>
      )}
    </div>
  );
}

/** A status line read out by screen readers when it changes. */
export function Status({ message }: { message: string }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {message}
    </p>
  );
}

/** Runs an async loader, re-running it when `deps` change; returns data, error, loading and reload. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** Wraps an action: busy flag, error, optional success message. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  message: string;
  run: (fn: () => Promise<string> | Promise<void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState("");
  // An action resolves to its success message, or to nothing when it has none.
  const run = async (fn: () => Promise<string> | Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setMessage("");
    try {
      const said: unknown = await fn();
      setMessage(typeof said === "string" ? said : "");
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const clear = () => {
    setError(undefined);
    setMessage("");
  };
  return { busy, error, message, run, clear };
}

let ids = 0;
/** A labelled input; `hint` and `problems` are announced with it (aria-describedby). */
export function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  hint?: ComponentChildren;
  problems?: string[];
  autoComplete?: string;
  required?: boolean;
  name?: string;
  placeholder?: string;
  multiline?: boolean;
  rows?: number;
  spellcheck?: boolean;
}) {
  const id = useRef(`f${++ids}`).current;
  const bad = (props.problems?.length ?? 0) > 0;
  const describedBy = [props.hint ? `${id}-hint` : "", bad ? `${id}-problems` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    name: props.name ?? id,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    "aria-invalid": bad ? ("true" as const) : undefined,
    "aria-describedby": describedBy,
    spellcheck: props.spellcheck ?? false,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 8} />
      ) : (
        <input {...common} type={(props.type ?? "text") as "text"} autoComplete={props.autoComplete ?? "off"} />
      )}
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {bad && (
        <ul id={`${id}-problems`} class="problems">
          {props.problems!.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Select(props: { label: string; value: string; onChange: (v: string) => void; options: [string, string][]; hint?: string }) {
  const id = useRef(`s${++ids}`).current;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      >
        {props.options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** The page heading, focused on navigation so that keyboard and screen-reader users land on it. */
export function Heading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export const formatDate = (s: string) => (s ? new Date(s).toLocaleString() : "");

/** A destructive action in two steps: the first press asks, the second (named after the target) does it. */
export function ConfirmButton({ label, confirmLabel, onConfirm, srSuffix }: { label: string; confirmLabel: string; onConfirm: () => void; srSuffix?: string }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class="danger-outline" onClick={() => setAsking(true)}>
        {label}
        {srSuffix && <span class="sr-only"> {srSuffix}</span>}
      </button>
    );
  return (
    <>
      <button
        type="button"
        class="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </>
  );
}
