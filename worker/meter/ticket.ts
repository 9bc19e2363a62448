import type { Estimate, KeyLimits, Standing } from "./key-state.ts";
import type { PrefixMark } from "./request-shape.ts";

/**
 * One request's reservation with the meter. Settled exactly once: by the route, a stream's end, or the scope.
 * Lives with the meter (not the routes) because the request context carries it and the edge stages read it.
 */
export interface Ticket {
  reservationId: string;
  limits: KeyLimits;
  standing: Standing;
  settled: boolean;
  /** A streamed response settles when the stream ends, after the handler has returned. */
  streaming: boolean;
  /** What was reserved (for the estimate-error figures) and the prompt prefixes to remember once the call is billed. */
  estimate?: Estimate;
  prefixes?: readonly PrefixMark[];
}
