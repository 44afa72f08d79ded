// Types of scripts/build-portal.mjs for the TypeScript tests and the benchmark.
export const PORTAL_DIST: string;
export const PORTAL_PATH: string;
export const CONTENT_SECURITY_POLICY: string;
export function portalIsStale(): boolean;
/** Builds the portal into portal/dist; returns the files written with their sizes. */
export function buildPortal(): Promise<{ name: string; bytes: number; gzipBytes: number }[]>;
/** Builds the portal unless it is up to date; returns whether it built. */
export function ensurePortalBuilt(): Promise<boolean>;
