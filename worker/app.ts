import { Hono } from "hono";
import { ConfigError } from "./config.ts";
import type { AppEnv } from "./context.ts";
import { answerableError } from "./edge/backend-errors.ts";
import { dialectForPath, errorResponse, GatewayError } from "./edge/errors.ts";
import { bodyLimitFor, checkRoute, rawTarget } from "./edge/firewall.ts";
import { abuseLimits, requireAccess } from "./edge/guard-middleware.ts";
import { dressResponse, isComplete } from "./edge/response-headers.ts";
import { requireKey } from "./keys/middleware.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { chatCompletions } from "./routes/chat.ts";
import { countTokens } from "./routes/count-tokens.ts";
import { embeddings } from "./routes/embeddings.ts";
import { health } from "./routes/health.ts";
import { imageBackgroundRemoval, imageEdits, imageGenerations, imageOutpaint, imageVariations } from "./routes/images/index.ts";
import { messages } from "./routes/messages.ts";
import { meterScope } from "./routes/metering.ts";
import { listModels } from "./routes/models.ts";
import { originModelFallback, videoRoute } from "./routes/origin.ts";
import type { Services } from "./services.ts";
import { refuseOversized } from "./routes/body.ts";
import { uiRoutes } from "./ui/routes.ts";
import { newRequestId } from "./util/ids.ts";
import { logEvent } from "./util/log.ts";

/**
 * The whole request pipeline, assembled in one place (see the README's diagram):
 * request id → firewall (path/method allowlist) → services → key auth → route handler → error rendering.
 * Both runtime entries (Workers, Deno) call this with a way to get the per-isolate services from their env.
 */
export function createApp(getServices: (env: unknown) => Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const requestId = newRequestId();
    c.set("requestId", requestId);
    c.set("startedAt", Date.now());
    await next();
    if (!isComplete(c.res)) dressResponse(c.res.headers, requestId);
  });

  app.use(async (c, next) => {
    const path = checkRoute(c.req.method, c.req.url);
    const services = getServices(c.env);
    const declared = Number(c.req.header("content-length"));
    const limit = bodyLimitFor(path, services.config.maxBodyBytes);
    if (Number.isFinite(declared) && declared > limit) {
      const what = limit === services.config.maxBodyBytes ? `the ${Math.round(limit / 1048576)} MB limit` : `this endpoint's ${Math.round(limit / 1024)} KiB limit`;
      await refuseOversized(c.req.raw, limit, what);
    }
    c.set("services", services);
    const hosts = services.config.allowedHosts;
    if (hosts.length && !hosts.includes(new URL(c.req.url).hostname.toLowerCase())) throw new GatewayError(404, "Not found.", "not_found_error");
    await next();
  });

  app.use(requireAccess);
  app.use(abuseLimits);
  app.get("/health", health);
  app.route("/", adminRoutes);
  app.route("/", uiRoutes);
  app.use("/v1/*", requireKey);
  app.use("/v1/*", meterScope);
  // Models only the origin serves (ORIGIN_MODELS) branch off here, before the edge routes read the body.
  for (const path of ["/v1/messages", "/v1/chat/completions", "/v1/embeddings"]) app.post(path, originModelFallback);
  app.post("/v1/messages", messages);
  app.post("/v1/messages/count_tokens", countTokens);
  app.get("/v1/models", listModels);
  app.post("/v1/chat/completions", chatCompletions);
  app.post("/v1/embeddings", embeddings);
  app.post("/v1/images/generations", imageGenerations);
  app.post("/v1/images/edits", imageEdits);
  app.post("/v1/images/variations", imageVariations);
  app.post("/v1/images/background-removal", imageBackgroundRemoval);
  app.post("/v1/images/outpaint", imageOutpaint);
  app.on(["GET", "POST"], "/v1/videos/generations", videoRoute);
  app.get("/v1/videos/generations/:id", videoRoute);
  app.get("/v1/videos/health", videoRoute);

  app.notFound((c) => errorResponse(dialectForPath(rawTarget(c.req.url).path), 404, "Not found.", { requestId: c.get("requestId") }));

  app.onError((caught, c) => {
    const dialect = dialectForPath(rawTarget(c.req.url).path);
    const requestId = c.get("requestId");
    const err = answerableError(caught, requestId, "request");
    if (err instanceof GatewayError) {
      return errorResponse(dialect, err.status, err.message, { type: err.type, requestId, headers: err.headers, param: err.param, code: err.code });
    }
    // Anything else is our bug or a misconfiguration: log it, tell the caller nothing about internals.
    logEvent("error", { msg: err instanceof ConfigError ? err.message : "unhandled error", requestId, error: err });
    return errorResponse(dialect, 500, "Internal error. The request id identifies it in the gateway's logs.", { requestId });
  });

  return app;
}
