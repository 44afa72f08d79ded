/** Sign-in with an access key and secret; the key is checked with one signed request before it is kept. */
import { useState } from "preact/hooks";
import { S3, S3Failure } from "../lib/s3";
import { href, type Session } from "../session";
import { ErrorBox, Field, Heading } from "../ui";

/** Codes that mean the credentials themselves are wrong (anything else proves the signature was accepted). */
const BAD_CREDENTIALS = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "NetworkError", "RequestTimeTooSkewed", "AccountProblem"]);

export function SignIn({ onSignIn }: { onSignIn: (s: Session) => void }) {
  const [accessKeyId, setKey] = useState("");
  const [secretAccessKey, setSecret] = useState("");
  const [bucket, setBucket] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const session: Session = { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim(), bucket: bucket.trim() || undefined };
    const s3 = new S3(session);
    try {
      if (session.bucket) await s3.list(session.bucket, { maxKeys: 1 });
      else await s3.listBuckets();
      onSignIn(session);
    } catch (err) {
      // A restricted key may be refused ListBuckets (or listing): its signature was still good.
      if (err instanceof S3Failure && !BAD_CREDENTIALS.has(err.code) && err.code !== "NoSuchBucket") onSignIn(session);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <Heading>Sign in</Heading>
      <p>
        Use an access key of this sos-worker. The secret key stays in this browser tab (session storage) and is used only to sign requests here; it is never
        sent.
      </p>
      <form onSubmit={submit}>
        <Field label="Access key id" name="accessKeyId" value={accessKeyId} onInput={setKey} required autoComplete="username" />
        <Field
          label="Secret access key"
          name="secretAccessKey"
          type="password"
          value={secretAccessKey}
          onInput={setSecret}
          required
          autoComplete="current-password"
        />
        <Field label="Bucket (optional)" name="bucket" value={bucket} onInput={setBucket} hint="For a key restricted to one bucket: that bucket's name." />
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        Administrator? <a href={href(["admin"])}>Sign in with the admin token</a> to manage users and keys.
      </p>
    </section>
  );
}
