// Workers entry: the only file that knows it runs on Cloudflare. It hands the app the env bindings and the
// execution context (for waitUntil), gives the services the Durable Object meter and origin state, runs the Cron
// Trigger (the origin's idle stop), and exports the Durable Object classes to the runtime.
import { createApp } from "./app.ts";
import { DurableMeter } from "./meter/durable-meter.ts";
import { LeasedMeter } from "./meter/leased-meter.ts";
import { runScheduled } from "./origin/scheduled.ts";
import { DurableOriginState } from "./origin/state.ts";
import { buildServices, servicesPerEnv } from "./services.ts";
import { NATIVE_HASHING } from "./util/sha256.ts";

export { KeyMeterObject } from "./meter/key-meter-object.ts";
export { OriginStateObject } from "./origin/state-object.ts";

const services = servicesPerEnv((env) =>
  buildServices(env, {
    meter: (e, spend, config) => {
      const ns = e.KEY_METER as DurableObjectNamespace | undefined;
      if (!ns) throw new Error("The KEY_METER Durable Object binding is missing (see wrangler.toml).");
      // Warm keys far from their limits spend from an isolate-held lease instead of a round trip per request.
      return new LeasedMeter(new DurableMeter(ns), spend, { flushDelayMs: config.spendFlushDelayMs, reportMs: config.meterReportMs });
    },
    originState: (e) => {
      const ns = e.ORIGIN_STATE as DurableObjectNamespace | undefined;
      return ns ? new DurableOriginState(ns) : null;
    },
    // workerd computes crypto.subtle on the spot: cheaper than hashing in JavaScript, even for short inputs.
    hashing: NATIVE_HASHING,
  }),
);
const app = createApp(services);

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> {
    return app.fetch(request, env, ctx);
  },
  scheduled(controller: ScheduledController, env: Record<string, unknown>, ctx: ExecutionContext): void {
    ctx.waitUntil(runScheduled(services(env), controller.cron));
  },
} satisfies ExportedHandler<Record<string, unknown>>;
