import type { KeyRecord } from "../db/queries.ts";
import { GatewayError } from "../edge/errors.ts";

/** Reads the caller's key from `x-api-key` or `Authorization: Bearer` (Claude Code sends either, per its settings). */
export function presentedKey(headers: Headers): string | null {
  const apiKey = headers.get("x-api-key");
  if (apiKey) return apiKey.trim() || null;
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? null;
  }
  return null;
}

// One message for every authentication failure: a caller probing keys learns nothing about which keys exist.
const INVALID_KEY = "Invalid API key.";

/**
 * Checks a key that was found; throws the client-facing error when it may not be used now. Budgets are the meter's
 * business (it knows the current period and what is in flight), not this cached record's.
 */
export function checkKeyUsable(key: KeyRecord | null, now: Date): KeyRecord {
  if (!key) throw new GatewayError(401, INVALID_KEY, "authentication_error");
  if (key.blocked) throw new GatewayError(401, "This API key has been blocked.", "authentication_error");
  if (key.expires && key.expires.getTime() <= now.getTime()) throw new GatewayError(401, "This API key has expired.", "authentication_error");
  return key;
}

export function missingKeyError(): GatewayError {
  return new GatewayError(401, "Missing API key: send it in the x-api-key header or as Authorization: Bearer <key>.", "authentication_error");
}

/**
 * `allowed` is the key's model list with groups expanded (null = every model); the name the client sent, or the
 * catalog name it resolved to, must be in it.
 */
export function checkModelAllowed(allowed: ReadonlySet<string> | null, names: readonly string[]): void {
  if (allowed === null) return;
  if (names.some((n) => allowed.has(n))) return;
  throw new GatewayError(403, `This API key is not allowed to use model "${names[0]}".`, "permission_error");
}
