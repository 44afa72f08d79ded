/** The shell: sign-in state, navigation and the hash routes of the views. */
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Admin } from "./lib/admin";
import { S3 } from "./lib/s3";
import { href, loadAdminToken, loadSession, parseRoute, saveAdminToken, saveSession, type Session } from "./session";
import { AdminView } from "./views/admin";
import { BucketList } from "./views/buckets";
import { BucketView } from "./views/objects";
import { ObjectView } from "./views/object";
import { BucketSettings } from "./views/settings";
import { SignIn } from "./views/signin";

export type Config = { zones: string[]; partSize: number };

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function useConfig(): Config {
  const [config, setConfig] = useState<Config>({ zones: [], partSize: 8 * 1024 * 1024 });
  useEffect(() => {
    fetch("config.json")
      .then((r) => (r.ok ? r.json() : null))
      .then(
        (c) => c && setConfig((d) => ({ ...d, ...c })),
        () => {},
      );
  }, []);
  return config;
}

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [adminToken, setAdminToken] = useState<string | null>(loadAdminToken);
  const hash = useHash();
  const config = useConfig();
  const { path, query } = parseRoute(hash);
  const s3 = useMemo(() => (session ? new S3(session) : null), [session]);
  const admin = useMemo(() => (adminToken ? new Admin(adminToken) : null), [adminToken]);

  const signIn = (s: Session) => {
    saveSession(s);
    setSession(s);
    location.hash = s.bucket ? href(["bucket", s.bucket]) : href(["buckets"]);
  };
  const adminSignIn = (token: string) => {
    saveAdminToken(token);
    setAdminToken(token);
    location.hash = href(["admin"]);
  };
  const signOut = () => {
    saveSession(null);
    saveAdminToken(null);
    setSession(null);
    setAdminToken(null);
    location.hash = "";
  };

  let view: JSX.Element;
  if (path[0] === "admin") view = <AdminView admin={admin} onSignIn={adminSignIn} zones={config.zones} />;
  else if (!s3 || !session) view = <SignIn onSignIn={signIn} />;
  else if (path[0] === "bucket" && path[1] && path[2] === "settings") view = <BucketSettings s3={s3} bucket={path[1]} />;
  else if (path[0] === "bucket" && path[1]) view = <BucketView s3={s3} bucket={path[1]} query={query} partSize={config.partSize} />;
  else if (path[0] === "object" && path[1]) view = <ObjectView s3={s3} bucket={path[1]} objectKey={query.get("key") ?? ""} />;
  else view = <BucketList s3={s3} session={session} zones={config.zones} admin={admin} />;

  return (
    <>
      {/* A button, not a link: the route lives in the hash, so href="#main" would navigate away. */}
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href(["buckets"])}>
          sos-worker
        </a>
        <nav aria-label="Main">
          <ul>
            {session && (
              <li>
                <a href={href(["buckets"])} aria-current={path[0] !== "admin" ? "page" : undefined}>
                  Buckets
                </a>
              </li>
            )}
            <li>
              <a href={href(["admin"])} aria-current={path[0] === "admin" ? "page" : undefined}>
                Admin
              </a>
            </li>
            {(session || adminToken) && (
              <li>
                <button type="button" class="link" onClick={signOut}>
                  Sign out{session ? ` (${session.accessKeyId})` : ""}
                </button>
              </li>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {view}
      </main>
    </>
  );
}
