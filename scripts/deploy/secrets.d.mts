// Types for the exports of scripts/deploy/secrets.mjs (used by test/deploy/config.test.ts).
export declare const SECRET_GENERATORS: Record<string, () => string>;
export declare const SECRET_NAMES: string[];
export declare function secretsToCreate(existing: Set<string>): Record<string, string>;
export declare function withSecretsFile<T>(values: Record<string, string>, fn: (file: string) => Promise<T>): Promise<T>;
