// Yardsticks for the gateway: the smallest possible "gateway" in each runtime, a bare relay that forwards a request
// the client already signed for the emulator and returns the emulator's answer. Relay minus direct is what merely
// putting the runtime in the path costs (one more HTTP exchange in, one fetch out); gateway minus relay is the
// gateway's own code. With `?js=1` the relay moves the response body through an identity TransformStream, which
// shows what relaying a long stream through JavaScript costs the runtime in memory, whatever the code does.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { DENO_RUN_FLAGS, denoBinary } from "../test/support/deno-harness.ts";
import { bundleWorker, COMPATIBILITY_DATE, REPO_ROOT } from "../test/support/worker-harness.ts";

export interface Relay {
  url: string;
  stop(): Promise<void>;
}

export async function startWorkerdRelay(upstream: string): Promise<Relay> {
  const scriptPath = await bundleWorker(join(REPO_ROOT, "bench/relay-worker.ts"));
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { UPSTREAM: upstream },
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.NONE),
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  let stopping: Promise<void> | null = null;
  return { url, stop: () => (stopping ??= mf.dispose()) };
}

export async function startDenoRelay(upstream: string, timeoutMs = 60_000): Promise<Relay> {
  // The same runtime flags as the gateway's Deno entry, so memory and CPU compare like with like.
  const child = spawn(denoBinary(), ["run", "--quiet", ...DENO_RUN_FLAGS, "--allow-net", "--allow-env=UPSTREAM", "--no-prompt", join(REPO_ROOT, "bench/relay-deno.ts")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1", UPSTREAM: upstream },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Miniflare's exit hook ends the process on SIGINT without waiting for async cleanups; this makes sure the relay
  // does not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`Deno relay did not start in ${timeoutMs} ms: ${output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const m = /relay listening on (\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`Deno relay exited with ${code}: ${output}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
