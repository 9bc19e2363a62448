// A stand-in for a Cloudflare Access team, for tests: an RS256 key pair (rotatable), its JWKS served on 127.0.0.1:0
// at the path Access uses (/cdn-cgi/access/certs), and a minter of service-token (and identity) JWTs shaped like
// Access's (CLOUDFLARE_AWS.md §1.3) — plus the forged variants the verifier must refuse (alg none, HS256 signed with
// the public key, unknown kid).

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import type { CryptoKey, JWK } from "jose";

export interface MintOptions {
  /** The service token's client id (`common_name`). Ignored when `email` is given (identity token). */
  commonName?: string;
  /** Identity-token email; makes `sub` a user id instead of "". */
  email?: string;
  /** Default: the issuer's `aud`. */
  aud?: string | string[];
  /** Default: the issuer's team domain. */
  iss?: string;
  /** Seconds since the epoch; default now + 300. `null` leaves the claim out. */
  exp?: number | null;
  /** Seconds since the epoch; default absent (Access's service-token example has none). */
  nbf?: number;
  /** Seconds since the epoch; default now. */
  iat?: number;
  /** Default: the current key's kid. A kid the JWKS does not hold is signed with a throwaway key. */
  kid?: string;
  /** Default RS256. "none" mints an unsigned token; "HS256" signs with the public key's PEM as an HMAC secret. */
  alg?: "RS256" | "none" | "HS256";
  /** Default "app". `null` leaves it out. */
  type?: string | null;
  /** Default "" for service tokens, a user id for identity tokens. */
  sub?: string;
  /** Extra claims merged last. */
  claims?: Record<string, unknown>;
}

export interface AccessIssuer {
  /** `https://<team>.cloudflareaccess.com` — only a string for `iss`; nothing is served there. */
  readonly teamDomain: string;
  readonly aud: string;
  /** `http://127.0.0.1:<port>/cdn-cgi/access/certs`: pass as ACCESS_JWKS_URL. */
  readonly jwksUrl: string;
  /** The kid that `mint` signs with by default (changes on `rotate`). */
  readonly kid: string;
  /** How many times the JWKS has been fetched. */
  readonly jwksFetches: number;
  /** Env vars for the Worker (ACCESS_TEAM_DOMAIN, ACCESS_AUD, ACCESS_JWKS_URL, ACCESS_CLIENT_IDS…). */
  env(extra?: { clientIds?: string[]; adminClientIds?: string[]; emails?: string[] }): Record<string, string>;
  mint(opts?: MintOptions): Promise<string>;
  /** Header object carrying a token: `{ "cf-access-jwt-assertion": token }`. */
  headers(token: string): Record<string, string>;
  /** Adds a new signing key (kept alongside the old ones, as Access does for 7 days) and makes it current. */
  rotate(): Promise<string>;
  /** Removes a key from the published JWKS (tokens signed with it then fail as "unknown kid"). */
  retire(kid: string): void;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

let counter = 0;

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `test-kid-${++counter}-${Math.random().toString(36).slice(2, 10)}`;
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: "RS256", use: "sig" }, publicPem: await exportSPKI(publicKey) };
}

/** Starts a fake Access team. Always `close()` it (afterAll). */
export async function startAccessIssuer(opts: { team?: string; aud?: string } = {}): Promise<AccessIssuer> {
  const team = opts.team ?? "breakwater-test";
  const teamDomain = `https://${team}.cloudflareaccess.com`;
  const aud = opts.aud ?? `aud-${team}-${Math.random().toString(16).slice(2, 14)}`;
  const keys: SigningKey[] = [await newKey()];
  let current = keys[0]!;
  let fetches = 0;
  // Signs tokens whose kid the JWKS does not hold: a real key, just not one anybody published.
  let stranger: SigningKey | undefined;

  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/cdn-cgi/access/certs") {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk), public_cert: { kid: current.kid, cert: current.publicPem } }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const jwksUrl = `http://127.0.0.1:${port}/cdn-cgi/access/certs`;

  async function mint(o: MintOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const identity = o.email !== undefined;
    const payload: Record<string, unknown> = {
      ...(o.type === null ? {} : { type: o.type ?? "app" }),
      aud: o.aud ?? [aud],
      iss: o.iss ?? teamDomain,
      iat: o.iat ?? now,
      ...(o.exp === null ? {} : { exp: o.exp ?? now + 300 }),
      ...(o.nbf !== undefined ? { nbf: o.nbf } : {}),
      sub: o.sub ?? (identity ? "7335d417-61da-459d-899c-0a01c76a2f94" : ""),
      ...(identity ? { email: o.email, country: "GB" } : { common_name: o.commonName ?? "test-client.access" }),
      ...o.claims,
    };
    const alg = o.alg ?? "RS256";
    const kid = o.kid ?? current.kid;
    if (alg === "none") {
      const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
      return `${enc({ alg: "none", kid, typ: "JWT" })}.${enc(payload)}.`;
    }
    if (alg === "HS256") {
      // The classic key-confusion forgery: HMAC keyed with the (public) RSA key, hoping the verifier uses it as a secret.
      return new SignJWT(payload).setProtectedHeader({ alg: "HS256", kid, typ: "JWT" }).sign(new TextEncoder().encode(current.publicPem));
    }
    const signer = keys.find((k) => k.kid === kid)?.privateKey ?? (stranger ??= await newKey()).privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(signer);
  }

  return {
    teamDomain,
    aud,
    jwksUrl,
    get kid() {
      return current.kid;
    },
    get jwksFetches() {
      return fetches;
    },
    env(extra = {}) {
      return {
        ACCESS_TEAM_DOMAIN: teamDomain,
        ACCESS_AUD: aud,
        ACCESS_JWKS_URL: jwksUrl,
        ACCESS_CLIENT_IDS: (extra.clientIds ?? ["test-client.access"]).join(","),
        ...(extra.adminClientIds ? { ACCESS_ADMIN_CLIENT_IDS: extra.adminClientIds.join(",") } : {}),
        ...(extra.emails ? { ACCESS_EMAILS: extra.emails.join(",") } : {}),
      };
    },
    mint,
    headers: (token) => ({ "cf-access-jwt-assertion": token }),
    async rotate() {
      const k = await newKey();
      keys.push(k);
      current = k;
      return k.kid;
    },
    retire(kid) {
      const i = keys.findIndex((k) => k.kid === kid);
      if (i >= 0) keys.splice(i, 1);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
