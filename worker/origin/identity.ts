/**
 * The identity header the Worker adds to every request it forwards to the origin (LiteLLM, the video sidecar), and
 * its verification on the origin side. The origin never sees a client's key: it trusts this header, so it is signed
 * with HMAC-SHA256 under `ORIGIN_SHARED_SECRET`, bound to the method and path it was made for, valid for 60 seconds,
 * and carries the request id as a nonce the verifier refuses to see twice.
 *
 * Wire format: `x-breakwater-identity: v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256("v1." + payload part))>`.
 * Web-standard only (crypto.subtle, TextEncoder, atob/btoa): the Worker, Deno and the Node sidecar share this file.
 */

export const IDENTITY_HEADER = "x-breakwater-identity";
export const IDENTITY_MAX_AGE_MS = 60_000;
/** A signature made slightly in the future (clock skew between the edge and the origin) is still accepted. */
const FUTURE_SKEW_MS = 5_000;

/** Who is calling, as the Worker authenticated and admitted them. */
export interface OriginIdentity {
  keyId: string;
  alias: string | null;
  /** The key's model list (empty = every model). */
  models: string[];
  limits: { rpm: number | null; tpm: number | null; parallel: number | null; maxBudget: number | null; maxVideoJobs: number | null };
  requestId: string;
  /** The request the header was made for: a captured header cannot be replayed against another route. */
  method: string;
  path: string;
  /** Milliseconds since the epoch when the Worker signed it. */
  ts: number;
}

export type IdentityCheck = { ok: true; identity: OriginIdentity } | { ok: false; reason: string };

const VERSION = "v1";
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keyCache.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keyCache.set(secret, k);
  }
  return k;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** The header value for one forwarded request. */
export async function signIdentity(secret: string, identity: OriginIdentity): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify(identity)));
  const signed = `${VERSION}.${payload}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(signed)));
  return `${signed}.${toBase64Url(mac)}`;
}

/**
 * Remembers the request ids of accepted headers until they expire, so a replayed header is refused. Bounded: entries
 * older than the maximum age are dropped as new ones arrive.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxAgeMs = IDENTITY_MAX_AGE_MS) {}

  /** True the first time a nonce is seen within its lifetime; false for a replay. */
  claim(nonce: string, ts: number, now: number): boolean {
    this.prune(now);
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, ts + this.maxAgeMs + FUTURE_SKEW_MS);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    // Insertion order is roughly expiry order; stop at the first live entry.
    for (const [nonce, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(nonce);
    }
  }
}

/**
 * Checks a header against the request it arrived with: signature (constant time, by crypto.subtle.verify), version,
 * age, method and path binding, then the nonce. Every failure says why, for the origin's log (never for the client).
 */
export async function verifyIdentity(
  secret: string,
  header: string | null | undefined,
  request: { method: string; path: string },
  opts: { replay: ReplayGuard; now?: number; maxAgeMs?: number },
): Promise<IdentityCheck> {
  if (!secret) return { ok: false, reason: "no shared secret configured" };
  if (!header) return { ok: false, reason: "missing identity header" };
  const parts = header.split(".");
  if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: "malformed identity header" };
  const mac = fromBase64Url(parts[2]!);
  const payloadBytes = fromBase64Url(parts[1]!);
  if (!mac || !payloadBytes) return { ok: false, reason: "malformed identity header" };
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  if (!valid) return { ok: false, reason: "bad signature" };
  let identity: OriginIdentity;
  try {
    identity = JSON.parse(new TextDecoder().decode(payloadBytes)) as OriginIdentity;
  } catch {
    return { ok: false, reason: "malformed identity payload" };
  }
  const now = opts.now ?? Date.now();
  const maxAge = opts.maxAgeMs ?? IDENTITY_MAX_AGE_MS;
  if (typeof identity.ts !== "number" || now - identity.ts > maxAge) return { ok: false, reason: "stale identity header" };
  if (identity.ts - now > FUTURE_SKEW_MS) return { ok: false, reason: "identity header from the future" };
  if (identity.method !== request.method.toUpperCase() || identity.path !== request.path) return { ok: false, reason: "identity header made for another request" };
  if (typeof identity.requestId !== "string" || !identity.requestId) return { ok: false, reason: "identity header without a request id" };
  if (!opts.replay.claim(identity.requestId, identity.ts, now)) return { ok: false, reason: "replayed identity header" };
  return { ok: true, identity };
}
