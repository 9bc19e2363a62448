import { describe, expect, it } from "vitest";
import { editDistance, parseFlags, type FlagSpec } from "../../cli/args.ts";
import { findCommand } from "../../cli/commands/index.ts";
import { UsageError } from "../../cli/errors.ts";

const SPEC: FlagSpec = { budget: { kind: "string" }, rpm: { kind: "string" }, force: { kind: "boolean" }, help: { kind: "boolean", short: "h" } };

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("parseFlags", () => {
  it("reads --name value, --name=value, booleans, short flags and positionals in any order", () => {
    expect(parseFlags(["alice", "--budget", "5", "--rpm=60", "--force", "-h", "x"], SPEC, "key create")).toEqual({
      positionals: ["alice", "x"],
      flags: { budget: "5", rpm: "60", force: true, help: true },
    });
  });

  it("keeps everything after -- as positionals, and a lone - is a positional", () => {
    expect(parseFlags(["--force", "--", "--budget", "5"], SPEC, "c")).toEqual({ positionals: ["--budget", "5"], flags: { force: true } });
    expect(parseFlags(["-"], SPEC, "c").positionals).toEqual(["-"]);
  });

  it("takes a value that starts with a single dash (validation then refuses it)", () => {
    expect(parseFlags(["--budget", "-5"], SPEC, "c").flags.budget).toBe("-5");
  });

  it("refuses unknown flags, suggesting the closest", () => {
    expect(usage(() => parseFlags(["--budgte", "5"], SPEC, "key create"))).toBe('unknown flag --budgte for "key create" (did you mean --budget?)');
    expect(usage(() => parseFlags(["--colour"], SPEC, "key list"))).toBe('unknown flag --colour for "key list"');
    expect(usage(() => parseFlags(["-x"], SPEC, "c"))).toBe('unknown flag -x for "c"');
  });

  it("refuses a missing value, an empty value, a value on a boolean and a repeated flag", () => {
    expect(usage(() => parseFlags(["--budget"], SPEC, "c"))).toBe("--budget needs a value");
    expect(usage(() => parseFlags(["--budget", "--rpm", "5"], SPEC, "c"))).toBe("--budget needs a value");
    expect(usage(() => parseFlags(["--budget="], SPEC, "c"))).toMatch(/--budget needs a value/);
    expect(usage(() => parseFlags(["--force=yes"], SPEC, "c"))).toBe('--force takes no value (got "--force=yes")');
    expect(usage(() => parseFlags(["--rpm", "1", "--rpm=2"], SPEC, "c"))).toBe("--rpm is given more than once");
  });

  it("names the command in the error, for the --help hint", () => {
    try {
      parseFlags(["--nope"], SPEC, "key update");
    } catch (e) {
      expect((e as UsageError).command).toBe("key update");
    }
    expect.assertions(1);
  });
});

describe("editDistance", () => {
  it("counts insertions, deletions and substitutions", () => {
    expect(editDistance("budget", "budget")).toBe(0);
    expect(editDistance("budget", "budgt")).toBe(1);
    expect(editDistance("rpm", "tpm")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("findCommand", () => {
  it("finds one- and two-word commands and leaves the rest to the command", () => {
    const f = findCommand(["key", "create", "alice", "--budget", "5"]);
    expect(f.command?.name).toBe("key create");
    expect(f.rest).toEqual(["alice", "--budget", "5"]);
    expect(findCommand(["spend", "--by", "model"]).command?.name).toBe("spend");
  });

  it("skips global flags (and their values) before the command and keeps them for the parser", () => {
    const f = findCommand(["--config", "status", "--json", "key", "list"]);
    expect(f.command?.name).toBe("key list");
    expect(f.rest).toEqual(["--config", "status", "--json"]);
    expect(findCommand(["--url=http://x", "status"]).command?.name).toBe("status");
  });

  it("a group alone or nothing names no command", () => {
    expect(findCommand(["key"])).toEqual({ words: ["key"], rest: [] });
    expect(findCommand(["--help"])).toEqual({ words: [], rest: ["--help"] });
    expect(findCommand(["key", "--help"])).toEqual({ words: ["key"], rest: ["--help"] });
  });

  it("refuses unknown commands with a suggestion", () => {
    expect(usage(() => findCommand(["key", "craete"]))).toBe('"key" has no command "craete" (did you mean "key create"?)');
    expect(usage(() => findCommand(["spnd"]))).toBe('unknown command "spnd" (did you mean "spend"?)');
    expect(usage(() => findCommand(["deploy"]))).toBe('unknown command "deploy"');
  });

  it("stops at a command flag before the command: it is then an unknown flag, not a command word", () => {
    expect(findCommand(["--budget", "5", "key", "create"])).toEqual({ words: [], rest: ["--budget", "5", "key", "create"] });
  });
});
