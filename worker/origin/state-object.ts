// The Durable Object that holds the origin's life (life.ts): one instance, named "origin". Written against the plain
// fetch-handler interface (no `cloudflare:workers` import) so the file stays Web-standard; worker/index.ts exports it.
import { parseOriginConfig } from "./config.ts";
import type { LifeRecord } from "./life.ts";
import { ORIGIN_OPS, originLife, runOp, type OriginOp } from "./state.ts";
import { logEvent } from "../util/log.ts";

export class OriginStateObject {
  private life: ReturnType<typeof originLife> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Record<string, unknown>,
  ) {}

  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1) as OriginOp;
    if (!ORIGIN_OPS.includes(op)) return new Response("unknown origin operation", { status: 404 });
    try {
      if (!this.life) {
        const config = parseOriginConfig(this.env);
        if (!config) return new Response("no origin configured", { status: 404 });
        const storage = this.ctx.storage;
        this.life = originLife(config, { load: () => storage.get<LifeRecord>("life"), save: (r) => storage.put("life", r) });
      }
      return await runOp(this.life, op);
    } catch (err) {
      logEvent("error", { msg: "origin state operation failed", op, error: err });
      return new Response("origin state error", { status: 500 });
    }
  }
}
