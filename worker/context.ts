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

/**
 * Keeps the invocation alive (one `waitUntil`) until the returned function is called; calling it again does nothing.
 * Register it before the response is returned: a client that disconnects early ends everything not held this way.
 */
export function holdOpen(c: AppContext): () => void {
  let release: () => void = () => {};
  defer(c, new Promise<void>((r) => (release = r)));
  return () => release();
}

/**
 * The request's abort signal, which aborts when the client disconnects where the runtime says so (workerd with the
 * `enable_request_signal` compatibility flag, Deno). Elsewhere it never aborts, or there is none: both are fine.
 */
export function requestSignal(c: AppContext): AbortSignal | null {
  try {
    return c.req.raw.signal ?? null;
  } catch {
    return null;
  }
}

/** `waitUntil` when the runtime gave us an execution context (Workers, and the Deno entry's shim). */
export function defer(c: Pick<AppContext, "executionCtx">, p: Promise<unknown>): void {
  const guarded = p.catch(() => {});
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No execution context (e.g. app.request() in a unit test): the promise still runs to completion.
  }
}
