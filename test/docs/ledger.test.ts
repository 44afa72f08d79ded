/**
 * The compatibility ledger's "Not yet" list in docs/compatibility.md is derived from the operation
 * table: it must name exactly the operations that have no handler (and so answer NotImplemented).
 * When this fails, paste the block it prints between the two markers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { END, ledgerBlock, START } from "./ledger";

describe("docs/compatibility.md ledger", () => {
  it("lists exactly the operations of the table that have no handler", () => {
    const doc = readFileSync(new URL("../../docs/compatibility.md", import.meta.url), "utf8");
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, `missing marker ${START}`).toBeGreaterThanOrEqual(0);
    expect(doc.slice(start, end + END.length), `expected:\n${ledgerBlock()}`).toBe(ledgerBlock());
  });
});
