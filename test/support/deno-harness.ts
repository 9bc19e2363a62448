// Starts the gateway's Deno entry (worker/deno.ts) as a real Deno process on 127.0.0.1 with an ephemeral port.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { REPO_ROOT } from "./worker-harness.ts";
import { freePort } from "./ports.ts";

const require = createRequire(import.meta.url);

/** Path of the Deno binary shipped in the `deno` npm package (npm may skip its install script, so link it here). */
export function denoBinary(): string {
  return (require("deno/install_api.cjs") as { runInstall(): string }).runInstall();
}

export interface DenoGateway {
  url: string;
  logs: string[];
  stop(): Promise<void>;
}


/**
 * Runtime flags the Deno entry is documented to run with (worker/deno.ts, README). A 2 MiB young generation: under
 * sustained load V8 otherwise grows it to 16 MiB per semi-space, ~50 MiB of resident memory for a few percent of CPU.
 */
export const DENO_RUN_FLAGS = ["--v8-flags=--max-semi-space-size=2"];

export async function startDenoGateway(env: Record<string, string>, timeoutMs = 60_000): Promise<DenoGateway> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    denoBinary(),
    ["run", "--quiet", ...DENO_RUN_FLAGS, "--allow-net", "--allow-env", "--allow-read", "--no-prompt", "worker/deno.ts"],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1", ...env, PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: string[] = [];
  const url = `http://127.0.0.1:${port}`;
  // If the test process dies first (Ctrl-C, a crash), do not leave the child running.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Deno gateway did not start in ${timeoutMs} ms:\n${logs.join("\n")}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      logs.push(...text.split("\n").filter(Boolean));
      if (process.env.BREAKWATER_TEST_LOGS) process.stderr.write(text);
      if (text.includes("breakwater listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Deno gateway exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
