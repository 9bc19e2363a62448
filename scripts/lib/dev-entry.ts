// The Worker as `npm run dev` bundles it: worker/index.ts unchanged, plus `GET /__scheduled` running the Cron
// Trigger's handler, the route wrangler's `--test-scheduled` used to add (the README and the dev tests use it).
// It runs inside workerd, so Web-standard APIs only.
import worker from "../../worker/index.ts";

export { KeyMeterObject, OriginStateObject } from "../../worker/index.ts";

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/__scheduled") return worker.fetch(request, env, ctx);
    const controller: ScheduledController = { cron: url.searchParams.get("cron") ?? "", scheduledTime: Date.now(), noRetry() {} };
    worker.scheduled(controller, env, ctx);
    return new Response("Ran scheduled event");
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Record<string, unknown>>;
