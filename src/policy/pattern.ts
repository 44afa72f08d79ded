/**
 * IAM wildcard patterns and policy variables (IAM User Guide, "IAM JSON policy elements: Resource"
 * and "IAM policy elements: Variables and tags"):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 *
 * `*` matches any run of characters (`/` and `:` included), `?` exactly one. A variable
 * `${aws:username}` stands for the request's single value of that key, taken literally (a `*` in
 * it is not a wildcard); `${key, 'default'}` gives a value when the request has none; `${*}`,
 * `${?}` and `${$}` are a literal `*`, `?` and `$`. A variable the request has no value for (and
 * no default) makes the pattern match nothing. Variables exist only in Version 2012-10-17
 * policies: in 2008-10-17 ones `${...}` is plain text.
 */

/** The request's single value of a condition key, if it has one (variables cannot take sets). */
export type VariableLookup = (key: string) => string | undefined;

const VARIABLE_RE = /\$\{([^}]*)\}/g;
const DEFAULT_RE = /^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$/;

type Piece = { literal: string } | { wild: "*" | "?" };

/** Splits a pattern into literal text and wildcards, substituting variables; null when one has no value. */
function pieces(pattern: string, lookup: VariableLookup | null): Piece[] | null {
  const out: Piece[] = [];
  const pushText = (text: string) => {
    for (const part of text.split(/([*?])/)) {
      if (part === "*" || part === "?") out.push({ wild: part });
      else if (part !== "") out.push({ literal: part });
    }
  };
  if (lookup === null) {
    pushText(pattern);
    return out;
  }
  let last = 0;
  for (const m of pattern.matchAll(VARIABLE_RE)) {
    pushText(pattern.slice(last, m.index));
    last = m.index + m[0].length;
    const inner = m[1];
    if (inner === "*" || inner === "?" || inner === "$") {
      out.push({ literal: inner });
      continue;
    }
    const withDefault = DEFAULT_RE.exec(inner);
    const value = withDefault ? (lookup(withDefault[1]) ?? withDefault[2]) : lookup(inner.trim());
    if (value === undefined) return null;
    out.push({ literal: value });
  }
  pushText(pattern.slice(last));
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Cache of compiled variable-free patterns: policies are evaluated on every request. */
const compiled = new Map<string, RegExp>();
const MAX_CACHED = 2000;

function toRegex(ps: Piece[], ignoreCase: boolean): RegExp {
  const body = ps.map((p) => ("literal" in p ? escapeRegex(p.literal) : p.wild === "*" ? "[\\s\\S]*" : "[\\s\\S]")).join("");
  return new RegExp(`^${body}$`, ignoreCase ? "iu" : "u");
}

/**
 * Whether `value` matches the wildcard `pattern`. `lookup` (null: no variables, as in 2008-10-17
 * policies) resolves `${...}`.
 */
export function wildcardMatch(pattern: string, value: string, opts: { ignoreCase?: boolean; lookup?: VariableLookup | null } = {}): boolean {
  const lookup = opts.lookup ?? null;
  const ignoreCase = opts.ignoreCase ?? false;
  if (lookup !== null && pattern.includes("${")) {
    const ps = pieces(pattern, lookup);
    return ps !== null && toRegex(ps, ignoreCase).test(value);
  }
  if (!pattern.includes("*") && !pattern.includes("?")) return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const cacheKey = (ignoreCase ? "i:" : "s:") + pattern;
  let re = compiled.get(cacheKey);
  if (!re) {
    re = toRegex(pieces(pattern, null)!, ignoreCase);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(cacheKey, re);
  }
  return re.test(value);
}

/** A value with its variables substituted (for exact comparisons); null when one has no value. */
export function substitute(text: string, lookup: VariableLookup | null): string | null {
  if (lookup === null || !text.includes("${")) return text;
  const ps = pieces(text, lookup);
  return ps === null ? null : ps.map((p) => ("literal" in p ? p.literal : p.wild)).join("");
}

/** Whether the text contains a wildcard or a variable (a "fixed value" has neither). */
export function isFixed(text: string): boolean {
  return !/[*?]/.test(text) && !text.includes("${");
}
