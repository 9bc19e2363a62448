// `breakwater …`: the admin CLI. `main` runs one command line and returns the exit code (0 ok, 1 the gateway failed
// or could not be reached, 2 usage error); it never exits the process, so tests run it in-process.
import { readFileSync } from "node:fs";
import { parseFlags } from "./args.ts";
import type { CommandContext } from "./command.ts";
import { COMMANDS, findCommand, GLOBAL_FLAGS } from "./commands/index.ts";
import { loadConfig, type Config } from "./config.ts";
import { ApiError, CliError, UsageError } from "./errors.ts";
import { overviewHelp } from "./help.ts";
import { adminClient, type AdminClient } from "./http.ts";
import type { Io } from "./io.ts";

export type { Io } from "./io.ts";
export { nodeIo } from "./io.ts";

export async function main(argv: readonly string[], io: Io): Promise<number> {
  // Known before parsing, so even a usage error is reported in the form a script asked for.
  const json = argv.includes("--json");
  try {
    const found = findCommand(argv);
    const command = found.command;
    if (!command) {
      const group = found.words.length > 0 ? found.words.join(" ") : undefined;
      const flags = parseFlags(found.rest, GLOBAL_FLAGS, group ?? "breakwater").flags;
      if (flags.version) {
        io.out(json ? `${JSON.stringify({ version: version() })}\n` : `breakwater ${version()}\n`);
        return 0;
      }
      if (flags.help) {
        io.out(overviewHelp(COMMANDS, group));
        return 0;
      }
      io.err(overviewHelp(COMMANDS, group));
      return 2;
    }

    const args = parseFlags(found.rest, { ...GLOBAL_FLAGS, ...command.flags }, command.name);
    if (args.flags.help) {
      io.out(`${command.help}\n\nRun "breakwater --help" for the flags every command takes and the configuration.\n`);
      return 0;
    }
    const { min, max, names } = command.positionals;
    if (args.positionals.length < min) throw new UsageError(`"${command.name}" needs ${names}`, command.name);
    if (args.positionals.length > max) {
      const extra = args.positionals.slice(max);
      throw new UsageError(`"${command.name}" takes ${max === 0 ? "no arguments" : `only ${names}`}; unexpected: ${extra.map((x) => `"${x}"`).join(" ")}`, command.name);
    }

    await command.run(context(io, args, json));
    return 0;
  } catch (e) {
    if (!(e instanceof CliError)) {
      io.err(`breakwater: unexpected error: ${io.env.BREAKWATER_DEBUG ? ((e as Error).stack ?? String(e)) : String((e as Error).message ?? e)}\n`);
      return 1;
    }
    if (e.message === "") return e.exitCode;
    if (json) {
      const error = { message: e.message, exit_code: e.exitCode, ...(e instanceof ApiError ? { status: e.status ?? null, request_id: e.requestId ?? null } : {}) };
      io.err(`${JSON.stringify({ error })}\n`);
    } else {
      io.err(`breakwater: ${e.message}\n`);
      if (e instanceof UsageError) io.err(`Run "breakwater ${e.command ? `${e.command} ` : ""}--help" for usage.\n`);
    }
    return e.exitCode;
  }
}

function context(io: Io, args: CommandContext["args"], json: boolean): CommandContext {
  const warn = (message: string) => io.err(`warning: ${message}\n`);
  const configs = new Map<boolean, Config>();
  const config = (opts: { requireMasterKey?: boolean } = {}) => {
    const require = opts.requireMasterKey ?? true;
    let c = configs.get(require);
    if (!c) {
      c = loadConfig(
        {
          env: io.env,
          homeDir: io.homeDir,
          cwd: io.cwd,
          configPath: typeof args.flags.config === "string" ? args.flags.config : undefined,
          url: typeof args.flags.url === "string" ? args.flags.url : undefined,
          requireMasterKey: require,
        },
        // Warn once, however many times the configuration is asked for.
        configs.size === 0 ? warn : () => {},
      );
      configs.set(require, c);
    }
    return c;
  };
  let client: AdminClient | undefined;
  return {
    io,
    args,
    json,
    color: io.color && !json,
    now: io.now(),
    config,
    client: (opts) => (client ??= adminClient(config(opts), io.fetch, version())),
    warn,
    print: (text) => {
      if (!json) io.out(text);
    },
    printJson: (value) => io.out(`${JSON.stringify(value, null, 2)}\n`),
  };
}

let cachedVersion: string | undefined;

function version(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = String((JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown }).version ?? "unknown");
    } catch {
      cachedVersion = "unknown";
    }
  }
  return cachedVersion;
}
