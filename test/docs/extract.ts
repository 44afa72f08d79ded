// Finds the fenced code blocks of a Markdown file and decides what the docs test does with each.
//
// The convention (also described in docs/development.md):
// - ```sh / ```bash fences run with bash (`set -euo pipefail`), ```python with /usr/bin/python3,
//   ```js with node (ESM). Fences of a file run in order, in one working directory and HOME per file.
// - A fence preceded directly by `<!-- docs-test: skip (reason) -->` is not run; the reason is required.
// - A fence preceded directly by `<!-- docs-test: file=PATH -->` is written to PATH (`~/` = the test's
//   HOME, otherwise relative to the working directory) instead of being run; later fences use it.
//   Config fences (```ini, ```toml, ```cfg, ```conf) must carry `file=` or `skip`.
// - A runnable fence preceded directly by `<!-- docs-test: in-repo -->` runs in the repository root
//   instead (commands a user runs from the checkout, such as `npm run deploy -- --dry-run`).
// - Any other fence (output, JSON, HTML, diagrams) is prose and is not run.
// - Placeholders are filled in before a fence is run or written (see fillPlaceholders).

export type FenceAction =
  | { kind: "run"; runner: "bash" | "python" | "node"; inRepo?: boolean }
  | { kind: "file"; path: string }
  | { kind: "skip"; reason: string }
  | { kind: "prose" };

export interface Fence {
  /** 1-based line of the opening ``` */
  line: number;
  /** first word of the info string ("" when none) */
  lang: string;
  body: string;
  action: FenceAction;
}

const RUNNERS: Record<string, "bash" | "python" | "node"> = {
  sh: "bash",
  bash: "bash",
  shell: "bash",
  python: "python",
  py: "python",
  js: "node",
  javascript: "node",
  mjs: "node",
};
const CONFIG_LANGS = new Set(["ini", "toml", "cfg", "conf"]);
const DIRECTIVE = /^<!--\s*docs-test:\s*(.*?)\s*-->$/;

/** A docs-test directive that cannot be understood; the message names the file and line. */
export class DocsTestSyntaxError extends Error {}

function parseDirective(text: string, where: string, lang: string): FenceAction {
  if (text === "in-repo") {
    if (!RUNNERS[lang]) throw new DocsTestSyntaxError(`${where}: "in-repo" applies to a runnable fence, not to \`\`\`${lang}`);
    return { kind: "run", runner: RUNNERS[lang], inRepo: true };
  }
  const skip = /^skip\s*\((.+)\)$/.exec(text);
  if (skip) return { kind: "skip", reason: skip[1].trim() };
  const file = /^file=(\S+)$/.exec(text);
  if (file) return { kind: "file", path: file[1] };
  throw new DocsTestSyntaxError(`${where}: unknown docs-test directive "${text}" (expected "skip (reason)", "file=PATH" or "in-repo")`);
}

/** Every fenced block of `markdown`, with what to do with it. Throws DocsTestSyntaxError on a bad directive. */
export function extractFences(markdown: string, fileName: string): Fence[] {
  const lines = markdown.split("\n");
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, marker, info] = open;
    const start = i;
    const body: string[] = [];
    const closes = (l: string) => l.trim().length >= marker.length && l.trim() === marker[0].repeat(l.trim().length);
    for (i++; i < lines.length && !closes(lines[i]); i++) {
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]);
    }
    const lang = info.toLowerCase();
    const where = `${fileName}:${start + 1}`;
    const prev = start > 0 ? DIRECTIVE.exec(lines[start - 1].trim()) : null;
    let action: FenceAction;
    if (prev) action = parseDirective(prev[1], where, lang);
    else if (RUNNERS[lang]) action = { kind: "run", runner: RUNNERS[lang] };
    else if (CONFIG_LANGS.has(lang))
      throw new DocsTestSyntaxError(
        `${where}: a \`\`\`${lang} fence needs <!-- docs-test: file=PATH --> or <!-- docs-test: skip (reason) --> on the line above it`,
      );
    else action = { kind: "prose" };
    fences.push({ line: start + 1, lang, body: body.join("\n") + "\n", action });
  }
  // A directive that is not directly above a fence is a mistake (it would silently do nothing).
  lines.forEach((l, n) => {
    if (DIRECTIVE.test(l.trim()) && !/^\s*(`{3,}|~{3,})/.test(lines[n + 1] ?? "")) {
      throw new DocsTestSyntaxError(`${fileName}:${n + 1}: a docs-test directive must be directly above a fence`);
    }
  });
  return fences;
}

export interface PlaceholderValues {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  adminToken: string;
}

/**
 * The documented placeholders, replaced in every fence that is run or written:
 *   http://127.0.0.1:8787 -> the test server's endpoint; 127.0.0.1:8787 -> its host:port;
 *   EXO...  -> the access key id; YOUR_SECRET_KEY -> its secret; YOUR_ADMIN_TOKEN -> the admin token.
 */
export function fillPlaceholders(text: string, v: PlaceholderValues): string {
  const hostPort = v.endpoint.replace(/^https?:\/\//, "");
  return text
    .replaceAll("http://127.0.0.1:8787", v.endpoint)
    .replaceAll("127.0.0.1:8787", hostPort)
    .replace(/EXO\.\.\.(?![\w.])/g, v.accessKeyId)
    .replaceAll("YOUR_SECRET_KEY", v.secretAccessKey)
    .replaceAll("YOUR_ADMIN_TOKEN", v.adminToken);
}
