// The services behind the gateway (Postgres, a key's meter object) failing, as a caller should see it: a 503 to retry,
// never a 500, since nothing about the request was wrong.
import { DatabaseError } from "../db/neon-http.ts";
import { MeterUnavailable } from "../meter/meter.ts";
import { logEvent } from "../util/log.ts";
import { GatewayError } from "./errors.ts";

/** How long a caller is told to wait after the database did not answer (the Retry-After header, seconds). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
/** After a key's meter object did not answer: it is back within a second or two (a reset, an overload). */
export const METER_RETRY_AFTER_SECONDS = 2;

// Postgres refused a value rather than the statement's shape: invalid text encoding (22021, 22P05), a date or time
// it cannot read or hold (22007, 22008), a number out of range (22003), a value too complex to process (54001).
// The admin API validates every field before it gets here; this is the backstop for a field it missed.
const REFUSED_VALUE = /^(22003|22007|22008|22021|22P05|54001)$/;

/**
 * A database failure as the caller should see it, or null for anything else (a bug: 500). drizzle wraps the
 * transport's DatabaseError, so the cause chain is searched.
 */
export function databaseFailure(err: unknown): GatewayError | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (!(e instanceof DatabaseError)) continue;
    if (e.unavailable) {
      return new GatewayError(503, "The gateway's database did not answer in time. Try again shortly.", undefined, {
        "retry-after": String(DATABASE_RETRY_AFTER_SECONDS),
      });
    }
    if (e.code && REFUSED_VALUE.test(e.code)) return new GatewayError(400, "A value in the request cannot be stored (the database refused it).", "invalid_request_error");
    return null;
  }
  return null;
}

/** A key's meter object that could not be reached or failed, as the caller should see it; null for anything else. */
export function meterFailure(err: unknown): GatewayError | null {
  if (!(err instanceof MeterUnavailable)) return null;
  return new GatewayError(503, "The gateway could not reach this key's meter. Try again shortly.", undefined, {
    "retry-after": String(METER_RETRY_AFTER_SECONDS),
  });
}

/**
 * What an error handler should answer for `caught`: a database or meter failure becomes its GatewayError (logged
 * here, once, with its cause: a failed query's own message quotes its parameters, which can include a key hash);
 * anything else comes back unchanged for the handler's own rules.
 */
export function answerableError(caught: unknown, requestId: string | undefined, where: string): unknown {
  const mapped = databaseFailure(caught) ?? meterFailure(caught);
  if (!mapped) return caught;
  const what = caught instanceof MeterUnavailable ? "meter call" : "database call";
  logEvent("warn", { msg: `${where}: ${what} failed`, requestId, status: mapped.status, error: String((caught as { cause?: unknown }).cause ?? caught) });
  return mapped;
}
