// Workers entry: the only file that knows it runs on Cloudflare. It hands the app the env bindings and the
// execution context (for waitUntil), gives the services the Durable Object meter, and exports the Durable Object
// class to the runtime.
import { createApp } from "./app.ts";
import { DurableMeter } from "./meter/durable-meter.ts";
import { LeasedMeter } from "./meter/leased-meter.ts";
import { buildServices, servicesPerEnv } from "./services.ts";

export { KeyMeterObject } from "./meter/key-meter-object.ts";

const app = createApp(
  servicesPerEnv((env) =>
    buildServices(env, {
      meter: (e, spend, config) => {
        const ns = e.KEY_METER as DurableObjectNamespace | undefined;
        if (!ns) throw new Error("The KEY_METER Durable Object binding is missing (see wrangler.toml).");
        // Warm keys far from their limits spend from an isolate-held lease instead of a round trip per request.
        return new LeasedMeter(new DurableMeter(ns), spend, config.spendFlushDelayMs);
      },
    }),
  ),
);

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> {
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Record<string, unknown>>;
