import { parseOriginConfig, type OriginConfig } from "./config.ts";
import { memoryStore, originLife, type OriginState } from "./state.ts";

/** What the Worker keeps per isolate about the origin. */
export interface OriginServices {
  config: OriginConfig;
  state: OriginState;
  /**
   * This isolate's own view: when it last got an answer through the tunnel (a fresh one means the origin is up, so
   * bodies stream instead of being held for a replay) and when it last told the state object about a use.
   */
  seen: { okAt: number; touchAt: number };
}

/** Null without ORIGIN_URL. `durable` is the Workers binding's client; without one the isolate holds the state. */
export function buildOriginServices(env: Record<string, unknown>, durable?: (env: Record<string, unknown>) => OriginState | null): OriginServices | null {
  const config = parseOriginConfig(env);
  if (!config) return null;
  const state = durable?.(env) ?? originLife(config, memoryStore());
  return { config, state, seen: { okAt: 0, touchAt: 0 } };
}
