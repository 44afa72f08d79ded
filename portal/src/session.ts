/**
 * The session: credentials live in sessionStorage only (this tab, until it closes or "Sign out"),
 * never in localStorage, cookies or the URL, and are never sent anywhere: requests carry signatures.
 */
import type { Credentials } from "./lib/s3";

const KEY = "sos-portal-session";
const ADMIN = "sos-portal-admin";

export type Session = Credentials & { bucket?: string };

function read<T>(name: string): T | null {
  try {
    return JSON.parse(sessionStorage.getItem(name) ?? "null") as T | null;
  } catch {
    return null;
  }
}

export const loadSession = () => read<Session>(KEY);
export const saveSession = (s: Session | null) => (s ? sessionStorage.setItem(KEY, JSON.stringify(s)) : sessionStorage.removeItem(KEY));
export const loadAdminToken = () => read<string>(ADMIN);
export const saveAdminToken = (t: string | null) => (t ? sessionStorage.setItem(ADMIN, JSON.stringify(t)) : sessionStorage.removeItem(ADMIN));

/** The hash route: "#/bucket/photos?prefix=2024/" -> { path: ["bucket", "photos"], query }. */
export function parseRoute(hash: string): { path: string[]; query: URLSearchParams } {
  const [p, q] = hash.replace(/^#\/?/, "").split("?");
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q ?? "") };
}

export function href(path: string[], query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v) as [string, string][]).toString();
  return `#/${path.map(encodeURIComponent).join("/")}${q ? `?${q}` : ""}`;
}
