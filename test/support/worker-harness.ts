// Runs the real Worker bundle inside workerd (through Miniflare) on 127.0.0.1 with an ephemeral port, so tests and
// real clients talk to it over HTTP exactly as they would talk to the deployed gateway.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const COMPATIBILITY_DATE = "2026-04-01";
export const COMPATIBILITY_FLAGS = ["enable_request_signal"];

export interface Gateway {
  url: string;
  mf: Miniflare;
  /** Lines the Worker wrote to stdout/stderr (its structured JSON logs). */
  logs: string[];
  stop(): Promise<void>;
}

/** How the Worker is bundled, as wrangler does it (ESM, workerd conditions); the benchmark's size figure uses it too. */
export const WORKER_BUILD_OPTIONS = {
  entryPoints: [join(REPO_ROOT, "worker/index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  logLevel: "error",
} satisfies BuildOptions;

const bundles = new Map<string, Promise<string>>();

/**
 * Bundles an entry (worker/index.ts unless told otherwise) once per test process, the way wrangler does (esbuild,
 * ESM, workerd conditions). The benchmark bundles an entry of its own around the Worker (bench/isolate-entry.ts).
 */
export function bundleWorker(entry: string = WORKER_BUILD_OPTIONS.entryPoints[0]!): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = (async () => {
      const dir = mkdtempSync(join(tmpdir(), "breakwater-worker-"));
      const outfile = join(dir, "index.js");
      await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [entry], outfile });
      process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
      return outfile;
    })();
    bundles.set(entry, bundle);
  }
  return bundle;
}

export async function startGateway(env: Record<string, string>, opts: { entry?: string } = {}): Promise<Gateway> {
  const scriptPath = await bundleWorker(opts.entry);
  const logs: string[] = [];
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    // The bundle lives in a temp dir; module names must be relative to it, not to the working directory.
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    bindings: env,
    durableObjects: { KEY_METER: { className: "KeyMeterObject", useSQLite: true }, ORIGIN_STATE: { className: "OriginStateObject", useSQLite: true } },
    host: "127.0.0.1",
    port: 0,
    // `/cdn-cgi/handler/scheduled` runs the Cron Trigger's handler, as under `npm run dev`.
    unsafeTriggerHandlers: true,
    // BREAKWATER_INSPECTOR_PORT=9229: open workerd's inspector, to attach a debugger or take a CPU profile of the
    // Worker under test or under `npm run bench` (DevTools → chrome://inspect → 127.0.0.1:<port>).
    ...(process.env.BREAKWATER_INSPECTOR_PORT ? { inspectorPort: Number(process.env.BREAKWATER_INSPECTOR_PORT) } : {}),
    log: new Log(process.env.BREAKWATER_TEST_LOGS ? LogLevel.DEBUG : LogLevel.NONE),
    // The Worker's structured logs go to `logs` (tests assert on them) and to the terminal only when asked for.
    handleRuntimeStdio(stdout: NodeJS.ReadableStream & { setEncoding(e: string): unknown }, stderr: NodeJS.ReadableStream & { setEncoding(e: string): unknown }) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          logs.push(...chunk.split("\n").filter(Boolean));
          if (process.env.BREAKWATER_TEST_LOGS) process.stderr.write(chunk);
        });
      }
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, mf, logs, stop: () => mf.dispose() };
}
