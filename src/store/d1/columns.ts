/**
 * The JSON columns, parsed once where rows are read and serialized where they are written, so the
 * rest of the service sees typed values (the codecs live beside the types in logic/).
 */
import { parseStoredGrants, type Acl } from "../../logic/acl";
import { deserializeCors, serializeCors, type CorsRule } from "../../logic/cors";
import { deserializeTags, serializeTags, type TagSet } from "../../logic/tags";
import type { KeyOperations } from "../model";

/** ACLs: a JSON grant list, NULL for the default; an unreadable value reads as the default (owner only). */
export const readAcl = (s: string | null): Acl => parseStoredGrants(s);
export const writeAcl = (acl: Acl): string | null => (acl === null ? null : JSON.stringify(acl));

/** CORS rules: JSON, NULL for no configuration. */
export const readCors = (s: string | null): CorsRule[] | null => deserializeCors(s);
export const writeCors = (rules: CorsRule[] | null): string | null => (rules === null ? null : serializeCors(rules));

/** Tag sets: JSON pairs, NULL for none. */
export const readTags = (s: string | null): TagSet => deserializeTags(s);
export const writeTags = (tags: TagSet): string | null => serializeTags(tags);

const NAMED_OPERATIONS = ["full", "read-only", "write-only"] as const;

/** Key operations: a name, or a JSON array of operation names; an unreadable value allows nothing. */
export function readOperations(s: string): KeyOperations {
  if ((NAMED_OPERATIONS as readonly string[]).includes(s)) return s as KeyOperations;
  try {
    const ops = JSON.parse(s) as unknown;
    return Array.isArray(ops) ? ops.filter((o): o is string => typeof o === "string") : [];
  } catch {
    return [];
  }
}
export const writeOperations = (ops: KeyOperations): string => (Array.isArray(ops) ? JSON.stringify(ops) : ops);
