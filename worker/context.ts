import type { Context } from "hono";
import type { KeyRecord } from "./db/queries.ts";
import type { Ticket } from "./meter/ticket.ts";
import type { Services } from "./services.ts";

/** What the pipeline stages hand to each other through the Hono context. */
export interface AppEnv {
  Bindings: object;
  Variables: {
    requestId: string;
    startedAt: number;
    services: Services;
    key: KeyRecord;
    keyHash: string;
    /** When the key record in `key` was read from Postgres. */
    keyLoadedAt: number;
    /** The meter reservation of this request, once admitted (settled exactly once). */
    ticket: Ticket;
    /** On dashboard paths: the admin Access service token's client id, when the caller presented one. */
    accessAdminClient?: string;
  };
}

export type AppContext = Context<AppEnv>;

/** `waitUntil` when the runtime gave us an execution context (Workers, and the Deno entry's shim). */
export function defer(c: AppContext, p: Promise<unknown>): void {
  const guarded = p.catch(() => {});
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No execution context (e.g. app.request() in a unit test): the promise still runs to completion.
  }
}
