// Types for the exports of bin/sos-admin.mjs (used by test/unit/sos-admin.test.ts).
export declare const DEFAULT_ENDPOINT: string;
export declare const HELP: string;
export declare class UsageError extends Error {}
export interface AdminRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
}
export interface Parsed {
  help: boolean;
  json: boolean;
  endpoint?: string;
  token?: string;
  command: string | null;
  request: AdminRequest | null;
}
export declare function tokenize(argv: string[]): { positionals: string[]; options: Record<string, string | true> };
export declare function parseOps(v: string): string | string[];
export declare function parseArgs(argv: string[]): Parsed;
export declare function resolveToken(explicit: string | undefined, env?: Record<string, string | undefined>, cwd?: string): string | undefined;
export declare function resolveEndpoint(explicit: string | undefined, env?: Record<string, string | undefined>): string;
export declare function table(rows: Record<string, unknown>[], preferred?: string[]): string;
export declare function formatHuman(parsed: Parsed, status: number, body: unknown): string;
export declare function run(
  argv: string[],
  io?: {
    env?: Record<string, string | undefined>;
    stdout?: { write(s: string): unknown };
    stderr?: { write(s: string): unknown };
    fetchImpl?: typeof fetch;
  },
): Promise<number>;
