// Starts `npm run dev` (scripts/dev.ts) exactly as a newcomer would, in its own state dir and on a free port, and
// reads the base URL it prints. Proves the local-run contract: 127.0.0.1:$PORT, /health, DEV_API_KEY.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./worker-harness.ts";
import { freePort } from "./ports.ts";


export interface DevServer {
  url: string;
  /** The `npm run dev` process (its children include the workerd serving the Worker). */
  pid: number;
  output: string[];
  stop(): Promise<void>;
}


export async function startDevServer(env: Record<string, string>, timeoutMs = 110_000): Promise<DevServer> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "breakwater-dev-"));
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: "", BEDROCK_ENDPOINT: "", AWS_ACCESS_KEY_ID: "", ...env, PORT: String(port), BREAKWATER_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const url = `http://127.0.0.1:${port}`;
  // If the test process dies first (Ctrl-C, a crash), do not leave the child running.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev did not become ready:\n${output.join("")}`)), timeoutMs);
    const onData = (b: Buffer) => {
      output.push(b.toString("utf8"));
      if (process.env.BREAKWATER_TEST_LOGS) process.stderr.write(b);
      if (output.join("").includes(`Breakwater is running at ${url}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited with ${code}:\n${output.join("")}`));
    });
  }).catch((err) => {
    child.kill("SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url,
    pid: child.pid!,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(stateDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}
