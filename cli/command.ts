// What every command is given and what it declares. A command validates all its flags before it asks for the
// configuration or talks to the gateway, so a usage error never costs a request.
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { Config } from "./config.ts";
import type { AdminClient } from "./http.ts";
import type { Io } from "./io.ts";

export interface CommandContext {
  io: Io;
  args: ParsedArgs;
  /** --json: stdout gets one JSON document and nothing else. */
  json: boolean;
  /** ANSI colour on stdout. */
  color: boolean;
  now: Date;
  /** The configuration (env, file, --url); loading it can fail with a usage error. */
  config(opts?: { requireMasterKey?: boolean }): Config;
  client(opts?: { requireMasterKey?: boolean }): AdminClient;
  /** A note on stderr ("warning: …"); kept even with --json, which owns stdout only. */
  warn(message: string): void;
  /** Text for people on stdout (ignored with --json). */
  print(text: string): void;
  /** The JSON document on stdout (with --json). */
  printJson(value: unknown): void;
}

export interface Command {
  /** "key create". */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full help text (usage line, arguments, flags, examples). */
  help: string;
  /** The command's own flags; the global ones (--json, --config, --url, --help) are added to it. */
  flags: FlagSpec;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number; names: string };
  run(ctx: CommandContext): Promise<void>;
}
