// Command-line flags: `--name value`, `--name=value`, boolean `--name`, `--` ends flags. Strict, like the admin API:
// an unknown or repeated flag is an error rather than ignored, so a typo cannot silently create an unlimited key.
import { UsageError } from "./errors.ts";

export type FlagKind = "string" | "boolean";

export interface FlagDef {
  kind: FlagKind;
  /** One-letter alias (`-h`). */
  short?: string;
}

export type FlagSpec = Readonly<Record<string, FlagDef>>;

export interface ParsedArgs {
  positionals: string[];
  /** Flag name (without dashes) → its value, or true for a boolean flag that was given. */
  flags: Record<string, string | true>;
}

/** Parses `tokens` against `spec`; `command` names the command in error messages ("key create"). Pure. */
export function parseFlags(tokens: readonly string[], spec: FlagSpec, command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  const shorts = new Map(Object.entries(spec).flatMap(([name, d]) => (d.short ? [[d.short, name] as const] : [])));

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "--") {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      positionals.push(token);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      inline = eq === -1 ? undefined : token.slice(eq + 1);
    } else {
      const long = shorts.get(token.slice(1));
      if (!long) throw new UsageError(`unknown flag ${token} for "${command}"`, command);
      name = long;
    }
    const def = spec[name];
    if (!def) throw new UsageError(unknownFlagMessage(name, spec, command), command);
    if (flags[name] !== undefined) throw new UsageError(`--${name} is given more than once`, command);
    if (def.kind === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value (got "--${name}=${inline}")`, command);
      flags[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = tokens[i + 1];
      // A following flag means the value was forgotten: `--budget --rpm 5` must not set the budget to "--rpm".
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name} needs a value`, command);
      value = next;
      i++;
    }
    if (value === "") throw new UsageError(`--${name} needs a value (got an empty string)`, command);
    flags[name] = value;
  }
  return { positionals, flags };
}

function unknownFlagMessage(name: string, spec: FlagSpec, command: string): string {
  const near = Object.keys(spec).filter((k) => editDistance(k, name) <= 2);
  const hint = near.length > 0 ? ` (did you mean ${near.map((k) => `--${k}`).join(" or ")}?)` : "";
  return `unknown flag --${name} for "${command}"${hint}`;
}

/** Levenshtein distance; names are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
