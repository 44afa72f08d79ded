/** The "Not yet" block of docs/compatibility.md, derived from the operation table (test/docs/ledger.test.ts checks it). */
import { NOT_IMPLEMENTED } from "../../src/operations";

export const START = "<!-- not-implemented:start (generated from src/operations.ts; test/docs/ledger.test.ts checks it) -->";
export const END = "<!-- not-implemented:end -->";

export function ledgerBlock(): string {
  return [
    START,
    [...NOT_IMPLEMENTED]
      .sort()
      .map((name) => `\`${name}\``)
      .join(", ") + ".",
    END,
  ].join("\n");
}
