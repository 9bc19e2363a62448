import { spawn } from "node:child_process";

/**
 * Runs a command and waits for it. Output is passed through (these tools print no secrets: they receive them in
 * the environment or a private file, never in their arguments), or captured when `capture` is set.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; capture?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", opts.capture ? "pipe" : "inherit", "inherit"],
    });
    let out = "";
    child.stdout?.on("data", (b: Buffer) => (out += b.toString("utf8")));
    child.once("error", (err) => reject(new Error(`${cmd} could not be started: ${err.message}`)));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args[0] ?? ""} failed (exit ${code}).`))));
  });
}
