// Every command, and finding the one the command line names ("key create" is two words).
import { editDistance } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { keyRevoke, keyUnblock } from "./key-block.ts";
import { keyCreate } from "./key-create.ts";
import { keyInfo } from "./key-info.ts";
import { keyList } from "./key-list.ts";
import { keyRotate } from "./key-rotate.ts";
import { keyUpdate } from "./key-update.ts";
import { spend } from "./spend.ts";
import { unreadable } from "./unreadable.ts";
import { status } from "./status.ts";
import { originStart, originStatus, originStop } from "./origin.ts";
import { videoCreate, videoGet, videoList } from "./video.ts";

export const COMMANDS: readonly Command[] = [keyCreate, keyList, keyInfo, keyUpdate, keyRotate, keyRevoke, keyUnblock, spend, unreadable, status, originStatus, originStart, originStop, videoCreate, videoList, videoGet];

/** Flags every command takes, and whether each takes a value (needed before the command is known). */
export const GLOBAL_FLAGS = {
  json: { kind: "boolean" },
  config: { kind: "string" },
  url: { kind: "string" },
  help: { kind: "boolean", short: "h" },
  version: { kind: "boolean" },
} as const;

export interface Lookup {
  /** The command, when the words name one. */
  command?: Command;
  /** The words that matched ("key" alone names the key group). */
  words: string[];
  /** The tokens left for the command's own parser (global flags before the command included). */
  rest: string[];
}

/**
 * Reads command words from the front of argv, skipping global flags (and their values), until they name a command.
 * Stops at the first other flag: command flags come after the command. Pure.
 */
export function findCommand(argv: readonly string[], commands: readonly Command[] = COMMANDS): Lookup {
  const words: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const t = argv[i]!;
    if (t.startsWith("-") && t !== "-") {
      const name = t.startsWith("--") ? t.slice(2).split("=")[0]! : t.slice(1);
      const global = Object.entries(GLOBAL_FLAGS).find(([n, d]) => n === name || ("short" in d && d.short === name));
      if (!global) break;
      rest.push(t);
      if (global[1].kind === "string" && !t.includes("=") && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const candidate = [...words, t].join(" ");
    const exact = commands.find((c) => c.name === candidate);
    if (exact) return { command: exact, words: [...words, t], rest: [...rest, ...argv.slice(i + 1)] };
    if (!commands.some((c) => c.name.startsWith(`${candidate} `))) {
      const where = words.length > 0 ? `"${words.join(" ")}" has no command "${t}"` : `unknown command "${t}"`;
      throw new UsageError(`${where}${suggestion(candidate, commands)}`, words.length > 0 ? words.join(" ") : undefined);
    }
    words.push(t);
  }
  return { words, rest: [...rest, ...argv.slice(i)] };
}

/** Close matches among the words that could come next ("key craete" → "key create"). */
function suggestion(candidate: string, commands: readonly Command[]): string {
  const words = candidate.split(" ");
  const typed = words.pop()!;
  const prefix = words.length > 0 ? `${words.join(" ")} ` : "";
  const next = [...new Set(commands.filter((c) => c.name.startsWith(prefix)).map((c) => c.name.slice(prefix.length).split(" ")[0]!))];
  const near = next.filter((w) => editDistance(w, typed) <= 2 || w.startsWith(typed));
  return near.length > 0 ? ` (did you mean ${near.map((w) => `"${prefix}${w}"`).join(" or ")}?)` : "";
}
