// Workers entry: the only file that knows it runs on Cloudflare. It hands the app the env bindings and the
// execution context (for waitUntil); Durable Object classes will be exported from here too.
import { createApp } from "./app.ts";
import { servicesPerEnv } from "./services.ts";

const app = createApp(servicesPerEnv());

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> {
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Record<string, unknown>>;
