/** Benchmark results as markdown tables (pasteable into README.md and docs/bench.md). */

export type Table = { title: string; note?: string; header: string[]; rows: string[][] };

export function renderTable(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|";
  return [`### ${t.title}`, "", ...(t.note ? [t.note, ""] : []), line(t.header), rule, ...t.rows.map(line)].join("\n");
}

export const fixed = (x: number, digits = 1) => x.toFixed(digits);
/** sos-worker / baseline, two decimals. */
export const ratio = (sos: number, base: number) => `${(sos / base).toFixed(2)}×`;
