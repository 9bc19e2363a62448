// Everything a command touches outside itself, passed in: tests run `main` in-process with captured output, a fixed
// clock and their own environment, and the real bin passes the process's.
import { homedir } from "node:os";

export interface Io {
  /** Standard output: results only (with --json, exactly one JSON document). */
  out(text: string): void;
  /** Standard error: warnings, errors, notes. */
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  homeDir: string;
  fetch: typeof fetch;
  now(): Date;
  /** Colour is allowed on stdout (a terminal, NO_COLOR unset). --json turns it off regardless. */
  color: boolean;
}

export function nodeIo(): Io {
  // `breakwater key list | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    fetch: globalThis.fetch,
    now: () => new Date(),
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb",
  };
}
