// The Worker for `npm run dev`, run the way the test harness runs it: bundled with esbuild and served by workerd
// through Miniflare in this process, on 127.0.0.1:$PORT. No `wrangler dev`: its devtools proxy opened a local
// connection per debugger event (dozens per stream) and fell over at a few hundred concurrent streams. Here there is
// no inspector at all, and the Worker's stdout/stderr are piped straight to ours.
//
// wrangler.toml stays the single source of the Worker's configuration: wrangler reads it for us (compatibility
// date and flags, [vars], Durable Objects), and the caller's vars override [vars] as `--env-file` did.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { context, type BuildContext, type Plugin } from "esbuild";
import { Log, LogLevel, Miniflare, type MiniflareOptions } from "miniflare";
import { WORKER_BUILD_OPTIONS } from "../../test/support/worker-harness.ts";
import { REPO_ROOT } from "./db.ts";

export interface DevWorkerOptions {
  port: number;
  /** Bindings on top of wrangler.toml's [vars]. */
  vars: Record<string, string>;
  /** Where Durable Object storage persists between runs. */
  persistDir: string;
  /** Rebuild and reload when a file under worker/ changes. */
  watch: boolean;
  /** Miniflare's own messages (not the Worker's logs): "none" | "error" | "warn" | "info" | "debug". */
  logLevel?: string;
  /** Called after a rebuild: ok, or the build error. */
  onReload?(error: Error | null): void;
}

export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

const LOG_LEVELS: Record<string, LogLevel> = {
  none: LogLevel.NONE,
  error: LogLevel.ERROR,
  warn: LogLevel.WARN,
  info: LogLevel.INFO,
  debug: LogLevel.DEBUG,
};

export async function startDevWorker(opts: DevWorkerOptions): Promise<DevWorker> {
  // Loaded here, not imported at the top: importing wrangler installs SIGINT/SIGTERM handlers that exit at once.
  let workerOptions!: Awaited<ReturnType<typeof readWranglerToml>>;
  await leaveSignalsToCaller(async () => (workerOptions = await readWranglerToml()));
  const outDir = mkdtempSync(join(tmpdir(), "breakwater-dev-worker-"));
  const scriptPath = join(outDir, "index.js");

  let mf: Miniflare | undefined;
  let stopped = false;
  let firstBuild: { resolve(): void; reject(e: Error): void } | undefined;
  const firstBuilt = new Promise<void>((resolve, reject) => (firstBuild = { resolve, reject }));
  // Every finished build after the first reloads the Worker in place (same port, same workerd configuration).
  const reloadPlugin: Plugin = {
    name: "breakwater-dev-reload",
    setup(build) {
      build.onEnd(async (result) => {
        let error = result.errors.length > 0 ? new Error(result.errors.map((e) => e.text).join("\n")) : null;
        if (stopped) return;
        if (!mf) return error ? firstBuild?.reject(error) : firstBuild?.resolve();
        if (!error) {
          try {
            await leaveSignalsToCaller(() => mf!.setOptions(options()));
          } catch (err) {
            error = err instanceof Error ? err : new Error(String(err));
          }
        }
        opts.onReload?.(error);
      });
    },
  };

  const options = (): MiniflareOptions => ({
    ...workerOptions,
    name: "breakwater",
    modules: true,
    scriptPath,
    // The bundle lives in a temp dir; module names must be relative to it, not to the working directory.
    modulesRoot: dirname(scriptPath),
    bindings: { ...workerOptions.bindings, ...opts.vars },
    host: "127.0.0.1",
    port: opts.port,
    // A fixed `request.cf` instead of fetching Cloudflare's sample from the network at every start.
    cf: false,
    defaultPersistRoot: opts.persistDir,
    // `/cdn-cgi/handler/scheduled` runs the Cron Trigger too, as in the test harness.
    unsafeTriggerHandlers: true,
    log: new Log(LOG_LEVELS[opts.logLevel ?? "warn"] ?? LogLevel.WARN),
    // The Worker's structured logs, line for line; the pipe's back-pressure bounds what is held in memory.
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.pipe(process.stdout, { end: false });
      stderr.pipe(process.stderr, { end: false });
    },
  });

  let ctx: BuildContext | undefined;
  try {
    ctx = await context({
      ...WORKER_BUILD_OPTIONS,
      entryPoints: [join(REPO_ROOT, "scripts/lib/dev-entry.ts")],
      outfile: scriptPath,
      plugins: [reloadPlugin],
    });
    if (opts.watch) await ctx.watch();
    else await ctx.rebuild();
    await firstBuilt;
    await leaveSignalsToCaller(async () => {
      mf = new Miniflare(options());
      await mf.ready;
    });
  } catch (err) {
    await ctx?.dispose();
    await mf?.dispose();
    rmSync(outDir, { recursive: true, force: true });
    throw err;
  }
  const running = mf!;
  const built = ctx;
  return {
    url: `http://127.0.0.1:${opts.port}`,
    async stop() {
      stopped = true;
      try {
        await built.dispose();
        await running.dispose();
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    },
  };
}

async function readWranglerToml() {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  return unstable_getMiniflareWorkerOptions(join(REPO_ROOT, "wrangler.toml")).workerOptions;
}

/**
 * Miniflare's exit hook (and wrangler's, once imported) answers SIGINT and SIGTERM by killing workerd and exiting at once, which would cut short the
 * caller's own shutdown (closing PGlite cleanly, stopping the emulator and the origin). Runs `start` and removes the
 * signal listeners it added; Miniflare's "exit" listener stays, so workerd still dies with this process. The caller stops
 * the Worker itself on those signals.
 */
async function leaveSignalsToCaller(start: () => Promise<unknown>): Promise<void> {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
  try {
    await start();
  } finally {
    for (const sig of signals) {
      for (const listener of process.listeners(sig)) if (!before.get(sig)!.has(listener)) process.off(sig, listener);
    }
  }
}
