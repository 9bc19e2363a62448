import { createRemoteJWKSet, customFetch, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { GatewayError } from "./errors.ts";

/**
 * Cloudflare Access check (CLOUDFLARE_AWS.md §1). Access sits in front of the Worker, but the Worker does not trust
 * that it was configured right: every request must carry a `Cf-Access-Jwt-Assertion` that we verify ourselves —
 * RS256 only, signed by a key from the team's JWKS, exact `iss` and `aud`, `exp`/`nbf` with a small skew — and whose
 * caller is on our own allowlist.
 *
 * Who is admitted:
 * - Service tokens (`sub === ""`, `common_name` = the client id): `common_name` ∈ `ACCESS_CLIENT_IDS` on ordinary
 *   paths, ∈ `ACCESS_ADMIN_CLIENT_IDS` on admin paths. The two lists are independent: an admin client id is not
 *   implicitly a gateway client and vice versa.
 * - Identity (user) tokens (non-empty `sub`, an `email`): refused unless the email is listed in the optional
 *   `ACCESS_EMAILS` allowlist (case-insensitive), and never on admin paths — admin automation uses service tokens.
 *   This keeps "anyone the Access policy happens to let in" from becoming "anyone may spend on Bedrock".
 */

export interface AccessConfig {
  /** `https://<team>.cloudflareaccess.com`, no trailing slash: compared exactly with the token's `iss`. */
  teamDomain: string;
  /** Application AUD tags; a token must name at least one of them. */
  audiences: string[];
  /** Service-token client ids (`<hex>.access`) allowed on gateway paths. */
  clientIds: string[];
  /** Service-token client ids allowed on admin paths. */
  adminClientIds: string[];
  /** User emails (lower-case) allowed on gateway paths; empty = no identity tokens at all. */
  emails?: string[];
  /** Overrides `${teamDomain}/cdn-cgi/access/certs` (tests, private deployments). */
  jwksUrl?: string;
  /** Clock skew tolerated on `exp`/`nbf`/`iat`, seconds. Default 60. */
  skewSeconds?: number;
}

export const DEFAULT_SKEW_SECONDS = 60;

/** Why a request was refused: for logs only, never for the caller. */
export type AccessDenialReason =
  | "missing_token"
  | "malformed"
  | "algorithm"
  | "unknown_kid"
  | "signature"
  | "expired"
  | "not_yet_valid"
  | "audience"
  | "issuer"
  | "claims"
  | "token_type"
  | "no_identity"
  | "client_not_allowed"
  | "email_not_allowed"
  | "jwks_unavailable";

const AUTH_REQUIRED = "Cloudflare Access authentication required.";
const NOT_AUTHORISED = "Not authorised.";

/**
 * A refused request. The client-facing message says only "authentication required" or "not authorised"; `reason`
 * names the cause for the gateway's logs. Extends GatewayError so app.onError renders it like any other failure.
 */
export class AccessDenied extends GatewayError {
  constructor(readonly reason: AccessDenialReason) {
    super(403, reasonIsAuthorisation(reason) ? NOT_AUTHORISED : AUTH_REQUIRED, "permission_error");
    this.name = "AccessDenied";
  }
}

function reasonIsAuthorisation(reason: AccessDenialReason): boolean {
  return reason === "client_not_allowed" || reason === "email_not_allowed";
}

export class AccessConfigError extends Error {
  override name = "AccessConfigError";
}

const ACCESS_VARS = ["ACCESS_TEAM_DOMAIN", "ACCESS_AUD", "ACCESS_CLIENT_IDS", "ACCESS_ADMIN_CLIENT_IDS", "ACCESS_EMAILS", "ACCESS_JWKS_URL"];

/**
 * Reads the Access settings. Returns null when neither ACCESS_TEAM_DOMAIN nor ACCESS_AUD (nor any other ACCESS_*
 * variable) is set — the caller then refuses to serve unless in local dev mode. Anything partial or malformed throws,
 * naming every problem: a half-configured check must fail the deploy, not quietly admit or refuse everyone.
 */
export function parseAccessConfig(env: Record<string, string | undefined>): AccessConfig | null {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  if (ACCESS_VARS.every((n) => get(n) === undefined)) return null;

  const problems: string[] = [];
  const rawTeam = get("ACCESS_TEAM_DOMAIN");
  const rawAud = get("ACCESS_AUD");
  let teamDomain = "";
  if (rawTeam === undefined) problems.push("ACCESS_TEAM_DOMAIN is required when any ACCESS_* variable is set");
  else {
    const t = normaliseTeamDomain(rawTeam);
    if (t) teamDomain = t;
    else problems.push("ACCESS_TEAM_DOMAIN must be https://<team>.cloudflareaccess.com (or just <team>)");
  }
  const audiences = list(rawAud);
  if (audiences.length === 0) problems.push("ACCESS_AUD is required (comma-separated application AUD tags)");
  const clientIds = list(get("ACCESS_CLIENT_IDS"));
  const adminClientIds = list(get("ACCESS_ADMIN_CLIENT_IDS"));
  const emails = list(get("ACCESS_EMAILS")).map((e) => e.toLowerCase());
  if (emails.some((e) => !/^[^@\s]+@[^@\s]+$/.test(e))) problems.push("ACCESS_EMAILS must be comma-separated email addresses");
  if (clientIds.length === 0 && emails.length === 0) {
    problems.push("ACCESS_CLIENT_IDS (or ACCESS_EMAILS) must list at least one caller, or no request can be authorised");
  }
  const rawJwks = get("ACCESS_JWKS_URL");
  let jwksUrl: string | undefined;
  if (rawJwks !== undefined) {
    if (isAcceptableJwksUrl(rawJwks)) jwksUrl = rawJwks;
    else problems.push("ACCESS_JWKS_URL must be an https URL (http only for localhost/127.0.0.1)");
  }
  if (problems.length) throw new AccessConfigError(`Invalid Cloudflare Access configuration: ${problems.join("; ")}`);
  return { teamDomain, audiences, clientIds, adminClientIds, emails, ...(jwksUrl ? { jwksUrl } : {}), skewSeconds: DEFAULT_SKEW_SECONDS };
}

function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** `team`, `team.cloudflareaccess.com`, `https://team.cloudflareaccess.com/` → `https://team.cloudflareaccess.com`. */
function normaliseTeamDomain(raw: string): string | null {
  let s = raw;
  if (/^[a-z0-9-]+$/i.test(s)) s = `${s}.cloudflareaccess.com`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `https://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  // The issuer is an origin: anything else (http, a path, credentials, a query) is a configuration mistake.
  if (u.protocol !== "https:" || u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return null;
  return u.origin;
}

function isAcceptableJwksUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    if (u.protocol === "https:") return true;
    return u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]");
  } catch {
    return false;
  }
}

export interface AccessIdentity {
  /** The service token's client id (`common_name`), or null for a user. */
  clientId: string | null;
  /** The user's email, or null for a service token. */
  email: string | null;
}

export interface AccessVerifierOptions {
  /** Used for the JWKS fetch (tests, custom transports). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. Default 30 s (jose's default). */
  jwksCooldownSeconds?: number;
  /** How long a fetched JWKS is used before it is fetched again. Default 10 min (jose's default). */
  jwksCacheMaxAgeSeconds?: number;
  /** Verified tokens remembered (see `AccessVerifier.verified`). Default 1,000. */
  maxVerifiedTokens?: number;
}

/** How long a verified token is taken at its word without checking its signature again (never past its `exp`). */
export const VERIFIED_TOKEN_TTL_MS = 60_000;

// A real Access token is around 1 KB; anything far larger is not one and is not worth parsing.
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Verifies Access JWTs. Create one per isolate (module scope) and reuse it: jose's remote JWKS caches the key set,
 * refetches on an unknown `kid` (at most once per cooldown, so a flood of made-up kids cannot become a flood of
 * fetches), and on Workers never awaits a fetch started by another request (CLOUDFLARE_AWS.md §1.5, pitfall 4).
 * Only Web APIs are used, so the same code runs on workerd and Deno.
 */
export class AccessVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly skew: number;
  private readonly clientIds: ReadonlySet<string>;
  private readonly adminClientIds: ReadonlySet<string>;
  private readonly emails: ReadonlySet<string>;
  /**
   * Tokens whose signature and claims were verified lately, by their text, with what they said. A caller that
   * presents the same token again (a browser's Access session cookie, a client that keeps the CF_Authorization
   * cookie) skips jose and the RSA check, which cost a request under workerd about a twelfth of the gateway's CPU.
   * Only verified tokens get in, so nobody without a valid token can fill it; an entry lasts until the token's `exp`
   * and at most VERIFIED_TOKEN_TTL_MS (no longer than a retired signing key already lives in jose's JWKS cache);
   * the allowlists are applied on every request. Bounded: the oldest entry makes room. A Map keyed by the token is
   * safe against timing probes: V8 seeds its string hashes per isolate, and only exact equals match.
   */
  private readonly verified = new Map<string, { payload: JWTPayload; until: number }>();
  private readonly maxVerified: number;

  constructor(
    private readonly cfg: AccessConfig,
    opts: AccessVerifierOptions = {},
  ) {
    const url = new URL(cfg.jwksUrl ?? `${cfg.teamDomain}/cdn-cgi/access/certs`);
    const fetchImpl = opts.fetch;
    this.jwks = createRemoteJWKSet(url, {
      timeoutDuration: 5000,
      cooldownDuration: (opts.jwksCooldownSeconds ?? 30) * 1000,
      cacheMaxAge: (opts.jwksCacheMaxAgeSeconds ?? 600) * 1000,
      ...(fetchImpl ? { [customFetch]: (u: string, init: RequestInit) => fetchImpl(u, init) } : {}),
    });
    this.skew = cfg.skewSeconds ?? DEFAULT_SKEW_SECONDS;
    this.clientIds = new Set(cfg.clientIds);
    this.adminClientIds = new Set(cfg.adminClientIds);
    this.emails = new Set((cfg.emails ?? []).map((e) => e.toLowerCase()));
    this.maxVerified = opts.maxVerifiedTokens ?? 1000;
  }

  /** Resolves to the caller's identity, or throws AccessDenied. `admin` selects the admin allowlist. */
  async verify(request: Request, { admin }: { admin: boolean }): Promise<AccessIdentity> {
    const token = request.headers.get("cf-access-jwt-assertion")?.trim();
    if (!token) throw new AccessDenied("missing_token");
    if (token.length > MAX_TOKEN_LENGTH) throw new AccessDenied("malformed");

    const payload = await this.verifiedPayload(token);

    if (payload.sub === "") {
      const clientId = payload.common_name;
      if (typeof clientId !== "string" || clientId === "") throw new AccessDenied("no_identity");
      const allowed = admin ? this.adminClientIds : this.clientIds;
      if (!allowed.has(clientId)) throw new AccessDenied("client_not_allowed");
      return { clientId, email: null };
    }

    const email = payload.email;
    if (typeof payload.sub !== "string" || typeof email !== "string" || email === "") throw new AccessDenied("no_identity");
    if (admin || !this.emails.has(email.toLowerCase())) throw new AccessDenied("email_not_allowed");
    return { clientId: null, email };
  }

  /** The claims of a valid Access application token: remembered, or verified now (and then remembered). */
  private async verifiedPayload(token: string): Promise<JWTPayload> {
    const now = Date.now();
    const seen = this.verified.get(token);
    if (seen && now < seen.until) return seen.payload;
    if (seen) this.verified.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ["RS256"],
        issuer: this.cfg.teamDomain,
        audience: this.cfg.audiences,
        clockTolerance: this.skew,
        // A token without an expiry would be valid forever.
        requiredClaims: ["exp"],
      }));
    } catch (err) {
      throw new AccessDenied(reasonFor(err));
    }

    // jose checks `iat` only when a maximum age is set; a token issued in the future means a broken clock somewhere.
    if (typeof payload.iat === "number" && payload.iat > now / 1000 + this.skew) throw new AccessDenied("not_yet_valid");

    // Access issues `type: "app"` for application tokens; `org` (global session) tokens are not meant for apps.
    if (payload.type !== "app") throw new AccessDenied("token_type");

    // Remembered until its expiry at the latest (jose accepts it `skew` seconds beyond; then it is verified again).
    const until = Math.min(now + VERIFIED_TOKEN_TTL_MS, (payload.exp as number) * 1000);
    if (until > now && this.maxVerified > 0) {
      if (this.verified.size >= this.maxVerified) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { payload, until });
    }
    return payload;
  }
}

/** Maps jose's errors onto our reasons; anything unrecognised is "malformed" (fail closed). */
function reasonFor(err: unknown): AccessDenialReason {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "nbf":
      case "iat":
        return "not_yet_valid";
      case "aud":
        return "audience";
      case "iss":
        return "issuer";
      default:
        return "claims";
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return "algorithm";
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return "unknown_kid";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return "jwks_unavailable";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed";
  // The JWKS fetch failed (network error, non-200, bad JSON): jose throws a bare JOSEError or the fetch's own error.
  if (err instanceof errors.JOSEError && err.code === "ERR_JOSE_GENERIC") return "jwks_unavailable";
  if (err instanceof TypeError) return "jwks_unavailable";
  return "malformed";
}
