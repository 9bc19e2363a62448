// Deno entry: the same app, with the environment from Deno.env and an execution-context stand-in whose waitUntil
// simply lets the promise run (a Deno process lives on after the response, unlike a Worker invocation). The Cron
// Trigger's work (the origin's idle stop) runs on a 5-minute timer in the process.
//   deno run --v8-flags=--max-semi-space-size=2 --allow-net --allow-env worker/deno.ts   (PORT, HOST: where it listens)
// The flag keeps V8's young generation at 2 MiB: left alone, sustained traffic grows it to 16 MiB per semi-space,
// about 50 MiB more resident memory than the gateway needs, for a few percent less CPU.
import { createApp } from "./app.ts";
import { runScheduled } from "./origin/scheduled.ts";
import { buildServices, servicesPerEnv } from "./services.ts";
import { JS_SHORT_HASHING } from "./util/sha256.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(opts: { port: number; hostname: string; onListen?: (addr: { port: number; hostname: string }) => void }, handler: (req: Request) => Response | Promise<Response>): { finished: Promise<void> };
};

const env = Deno.env.toObject();
// Deno hands each crypto.subtle call to a worker thread: short inputs are cheaper to hash in JavaScript here.
const services = servicesPerEnv((e) => buildServices(e, { hashing: JS_SHORT_HASHING }));
const app = createApp(services);
const pending = new Set<Promise<unknown>>();
const ctx = {
  waitUntil(p: Promise<unknown>) {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
  },
  passThroughOnException() {},
  props: {},
};

const CRON_MS = 5 * 60_000;
setInterval(() => {
  let s;
  try {
    s = services(env);
  } catch {
    return; // a configuration error is reported by the first request
  }
  ctx.waitUntil(runScheduled(s, "*/5 * * * *"));
}, CRON_MS);

Deno.serve(
  {
    port: Number(env.PORT ?? 8787),
    hostname: env.HOST ?? "127.0.0.1",
    onListen: ({ hostname, port }) => console.log(JSON.stringify({ level: "info", msg: "breakwater listening", url: `http://${hostname}:${port}` })),
  },
  (req) => app.fetch(req, env, ctx),
);
