import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { base64url } from "jose";
import { AccessConfigError, AccessDenied, AccessVerifier, parseAccessConfig } from "../../worker/edge/access.ts";
import type { AccessConfig, AccessDenialReason } from "../../worker/edge/access.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { startAccessIssuer } from "../support/access-issuer.ts";
import type { AccessIssuer } from "../support/access-issuer.ts";

const CLIENT = "0123abcd.access";
const ADMIN = "9999ffff.access";
const now = () => Math.floor(Date.now() / 1000);

let issuer: AccessIssuer;
let otherTeam: AccessIssuer;

beforeAll(async () => {
  issuer = await startAccessIssuer({ team: "breakwater-unit" });
  otherTeam = await startAccessIssuer({ team: "someone-else" });
});
afterAll(async () => {
  await issuer.close();
  await otherTeam.close();
});

function config(over: Partial<AccessConfig> = {}): AccessConfig {
  return {
    teamDomain: issuer.teamDomain,
    audiences: [issuer.aud],
    clientIds: [CLIENT],
    adminClientIds: [ADMIN],
    emails: ["alice@example.com"],
    jwksUrl: issuer.jwksUrl,
    ...over,
  };
}

function req(token?: string): Request {
  return new Request("https://gw.example.com/v1/messages", { method: "POST", headers: token === undefined ? {} : issuer.headers(token) });
}

async function denial(v: AccessVerifier, token: string | undefined, admin = false): Promise<AccessDenied> {
  try {
    await v.verify(req(token), { admin });
  } catch (err) {
    if (err instanceof AccessDenied) return err;
    throw err;
  }
  throw new Error("expected the token to be refused");
}

describe("parseAccessConfig", () => {
  it("is null when nothing about Access is configured (empty strings count as unset)", () => {
    expect(parseAccessConfig({})).toBeNull();
    expect(parseAccessConfig({ ACCESS_TEAM_DOMAIN: "", ACCESS_AUD: " ", OTHER: "x" })).toBeNull();
  });

  it("reads a full configuration, normalising the team domain and splitting the lists", () => {
    const cfg = parseAccessConfig({
      ACCESS_TEAM_DOMAIN: "https://myteam.cloudflareaccess.com/",
      ACCESS_AUD: " aud1 , aud2 ,",
      ACCESS_CLIENT_IDS: "a.access,b.access",
      ACCESS_ADMIN_CLIENT_IDS: "c.access",
      ACCESS_EMAILS: "Alice@Example.com",
      ACCESS_JWKS_URL: "https://keys.internal.example/certs",
    });
    expect(cfg).toEqual({
      teamDomain: "https://myteam.cloudflareaccess.com",
      audiences: ["aud1", "aud2"],
      clientIds: ["a.access", "b.access"],
      adminClientIds: ["c.access"],
      emails: ["alice@example.com"],
      jwksUrl: "https://keys.internal.example/certs",
      skewSeconds: 60,
    });
  });

  it("accepts a bare team name or host for the team domain", () => {
    const base = { ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x.access" };
    expect(parseAccessConfig({ ...base, ACCESS_TEAM_DOMAIN: "myteam" })?.teamDomain).toBe("https://myteam.cloudflareaccess.com");
    expect(parseAccessConfig({ ...base, ACCESS_TEAM_DOMAIN: "myteam.cloudflareaccess.com" })?.teamDomain).toBe("https://myteam.cloudflareaccess.com");
    expect(parseAccessConfig({ ...base, ACCESS_TEAM_DOMAIN: "myteam" })?.jwksUrl).toBeUndefined();
  });

  it.each([
    [{ ACCESS_TEAM_DOMAIN: "myteam", ACCESS_CLIENT_IDS: "x" }, /ACCESS_AUD is required/],
    [{ ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x" }, /ACCESS_TEAM_DOMAIN is required/],
    [{ ACCESS_CLIENT_IDS: "x" }, /ACCESS_TEAM_DOMAIN is required.*ACCESS_AUD is required/],
    [{ ACCESS_JWKS_URL: "https://x/certs" }, /ACCESS_TEAM_DOMAIN is required/],
    [{ ACCESS_TEAM_DOMAIN: "myteam", ACCESS_AUD: "a" }, /ACCESS_CLIENT_IDS \(or ACCESS_EMAILS\) must list at least one caller/],
    [{ ACCESS_TEAM_DOMAIN: "http://myteam.cloudflareaccess.com", ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x" }, /ACCESS_TEAM_DOMAIN must be/],
    [{ ACCESS_TEAM_DOMAIN: "https://myteam.cloudflareaccess.com/x", ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x" }, /ACCESS_TEAM_DOMAIN must be/],
    [{ ACCESS_TEAM_DOMAIN: "myteam", ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x", ACCESS_JWKS_URL: "http://keys.example.com/certs" }, /ACCESS_JWKS_URL must be/],
    [{ ACCESS_TEAM_DOMAIN: "myteam", ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x", ACCESS_JWKS_URL: "not a url" }, /ACCESS_JWKS_URL must be/],
    [{ ACCESS_TEAM_DOMAIN: "myteam", ACCESS_AUD: "a", ACCESS_EMAILS: "not-an-email" }, /ACCESS_EMAILS must be/],
  ])("refuses partial or invalid configuration %#", (env, message) => {
    expect(() => parseAccessConfig(env)).toThrow(AccessConfigError);
    expect(() => parseAccessConfig(env)).toThrow(message);
  });

  it("allows a plain-http JWKS URL only on loopback (tests)", () => {
    const env = { ACCESS_TEAM_DOMAIN: "myteam", ACCESS_AUD: "a", ACCESS_CLIENT_IDS: "x", ACCESS_JWKS_URL: "http://127.0.0.1:8787/cdn-cgi/access/certs" };
    expect(parseAccessConfig(env)?.jwksUrl).toBe("http://127.0.0.1:8787/cdn-cgi/access/certs");
  });

  it("reads the env the test issuer produces", () => {
    const cfg = parseAccessConfig(issuer.env({ clientIds: [CLIENT], adminClientIds: [ADMIN] }));
    expect(cfg).toMatchObject({ teamDomain: issuer.teamDomain, audiences: [issuer.aud], jwksUrl: issuer.jwksUrl, clientIds: [CLIENT], adminClientIds: [ADMIN] });
  });
});

describe("AccessVerifier: accepted tokens", () => {
  it("admits a service token whose client id is allowlisted", async () => {
    const v = new AccessVerifier(config());
    await expect(v.verify(req(await issuer.mint({ commonName: CLIENT })), { admin: false })).resolves.toEqual({ clientId: CLIENT, email: null });
  });

  it("admits an admin service token on admin paths only, and a gateway client on gateway paths only", async () => {
    const v = new AccessVerifier(config());
    const admin = await issuer.mint({ commonName: ADMIN });
    const client = await issuer.mint({ commonName: CLIENT });
    await expect(v.verify(req(admin), { admin: true })).resolves.toEqual({ clientId: ADMIN, email: null });
    expect((await denial(v, admin, false)).reason).toBe("client_not_allowed");
    expect((await denial(v, client, true)).reason).toBe("client_not_allowed");
  });

  it("accepts any one of several audiences, and a token naming several", async () => {
    const v = new AccessVerifier(config({ audiences: ["other-aud", issuer.aud] }));
    await expect(v.verify(req(await issuer.mint({ commonName: CLIENT })), { admin: false })).resolves.toMatchObject({ clientId: CLIENT });
    const v2 = new AccessVerifier(config());
    await expect(v2.verify(req(await issuer.mint({ commonName: CLIENT, aud: ["x", issuer.aud] })), { admin: false })).resolves.toMatchObject({
      clientId: CLIENT,
    });
  });

  it("tolerates clock skew within the configured allowance", async () => {
    const v = new AccessVerifier(config({ skewSeconds: 60 }));
    await expect(v.verify(req(await issuer.mint({ commonName: CLIENT, exp: now() - 30 })), { admin: false })).resolves.toMatchObject({ clientId: CLIENT });
    await expect(v.verify(req(await issuer.mint({ commonName: CLIENT, nbf: now() + 30 })), { admin: false })).resolves.toMatchObject({ clientId: CLIENT });
  });

  it("admits an identity token only when its email is allowlisted (case-insensitive), never on admin paths", async () => {
    const v = new AccessVerifier(config());
    await expect(v.verify(req(await issuer.mint({ email: "Alice@Example.com" })), { admin: false })).resolves.toEqual({
      clientId: null,
      email: "Alice@Example.com",
    });
    expect((await denial(v, await issuer.mint({ email: "mallory@example.com" }))).reason).toBe("email_not_allowed");
    expect((await denial(v, await issuer.mint({ email: "alice@example.com" }), true)).reason).toBe("email_not_allowed");
    const noEmails = new AccessVerifier(config({ emails: [] }));
    expect((await denial(noEmails, await issuer.mint({ email: "alice@example.com" }))).reason).toBe("email_not_allowed");
  });
});

describe("AccessVerifier: refused tokens", () => {
  let v: AccessVerifier;
  beforeAll(() => {
    v = new AccessVerifier(config());
  });

  const cases: [string, () => Promise<string | undefined>, AccessDenialReason][] = [
    ["missing header", async () => undefined, "missing_token"],
    ["empty header", async () => "", "missing_token"],
    ["garbage", async () => "not-a-jwt", "malformed"],
    ["expired", () => issuer.mint({ commonName: CLIENT, exp: now() - 120 }), "expired"],
    ["not yet valid (nbf)", () => issuer.mint({ commonName: CLIENT, nbf: now() + 600 }), "not_yet_valid"],
    ["issued in the future (iat)", () => issuer.mint({ commonName: CLIENT, iat: now() + 600 }), "not_yet_valid"],
    ["no exp", () => issuer.mint({ commonName: CLIENT, exp: null }), "claims"],
    ["wrong aud", () => issuer.mint({ commonName: CLIENT, aud: "some-other-app" }), "audience"],
    ["wrong iss", () => issuer.mint({ commonName: CLIENT, iss: "https://evil.cloudflareaccess.com" }), "issuer"],
    ["iss with trailing slash", () => issuer.mint({ commonName: CLIENT, iss: `${issuer.teamDomain}/` }), "issuer"],
    ["alg none", () => issuer.mint({ commonName: CLIENT, alg: "none" }), "algorithm"],
    ["HS256 signed with the public key", () => issuer.mint({ commonName: CLIENT, alg: "HS256" }), "algorithm"],
    ["unknown kid", () => issuer.mint({ commonName: CLIENT, kid: "never-published" }), "unknown_kid"],
    ["client id not allowlisted", () => issuer.mint({ commonName: "stranger.access" }), "client_not_allowed"],
    ["service token without common_name", () => issuer.mint({ commonName: CLIENT, claims: { common_name: undefined } }), "no_identity"],
    ["user token without email", () => issuer.mint({ commonName: CLIENT, sub: "user-1" }), "no_identity"],
    ["org (global session) token", () => issuer.mint({ commonName: CLIENT, type: "org" }), "token_type"],
    ["token without type", () => issuer.mint({ commonName: CLIENT, type: null }), "token_type"],
    [
      "tampered payload (common_name swapped after signing)",
      async () => {
        const [h, p, s] = (await issuer.mint({ commonName: "stranger.access" })).split(".");
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
        claims.common_name = CLIENT;
        return `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
      },
      "signature",
    ],
    [
      "tampered signature",
      async () => {
        const t = await issuer.mint({ commonName: CLIENT });
        const last = t.at(-2) === "A" ? "B" : "A";
        return `${t.slice(0, -2)}${last}${t.at(-1)}`;
      },
      "signature",
    ],
    ["token from another team (its own kid)", () => otherTeam.mint({ commonName: CLIENT, aud: issuer.aud, iss: issuer.teamDomain }), "unknown_kid"],
    [
      "token from another team reusing our kid",
      () => otherTeam.mint({ commonName: CLIENT, aud: issuer.aud, iss: issuer.teamDomain, kid: issuer.kid }),
      "signature",
    ],
  ];

  it.each(cases)("refuses: %s", async (_name, make, reason) => {
    const err = await denial(v, await make());
    expect(err.reason).toBe(reason);
    expect(err.status).toBe(403);
  });

  it("refuses another team's genuine token (its iss and aud) even when its keys were trusted", async () => {
    // A verifier wrongly pointed at the other team's JWKS still checks iss/aud against our configuration.
    const misconfigured = new AccessVerifier(config({ jwksUrl: otherTeam.jwksUrl }));
    expect((await denial(misconfigured, await otherTeam.mint({ commonName: CLIENT }))).reason).toBe("issuer");
    expect((await denial(misconfigured, await otherTeam.mint({ commonName: CLIENT, iss: issuer.teamDomain }))).reason).toBe("audience");
  });

  it("tells the caller nothing about why: one generic message for invalid tokens, another for unlisted callers", async () => {
    const invalid = await denial(v, await issuer.mint({ commonName: CLIENT, exp: now() - 120 }));
    const wrongAud = await denial(v, await issuer.mint({ commonName: CLIENT, aud: "x" }));
    const stranger = await denial(v, await issuer.mint({ commonName: "stranger.access" }));
    expect(invalid.message).toBe("Cloudflare Access authentication required.");
    expect(wrongAud.message).toBe(invalid.message);
    expect(stranger.message).toBe("Not authorised.");
    for (const e of [invalid, wrongAud, stranger]) {
      expect(e).toBeInstanceOf(GatewayError);
      expect(e.type).toBe("permission_error");
      expect(e.message).not.toMatch(/exp|aud|stranger|kid/i);
    }
  });

  it("refuses (fails closed) when the JWKS cannot be fetched", async () => {
    const down = new AccessVerifier(config(), { fetch: async () => new Response("nope", { status: 503 }) });
    expect((await denial(down, await issuer.mint({ commonName: CLIENT }))).reason).toBe("jwks_unavailable");
    const unreachable = new AccessVerifier(config(), {
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    expect((await denial(unreachable, await issuer.mint({ commonName: CLIENT }))).reason).toBe("jwks_unavailable");
  });
});

describe("AccessVerifier: JWKS caching and rotation", () => {
  it("fetches the JWKS once and reuses it for known kids", async () => {
    const own = await startAccessIssuer();
    try {
      const v = new AccessVerifier({ teamDomain: own.teamDomain, audiences: [own.aud], clientIds: [CLIENT], adminClientIds: [], jwksUrl: own.jwksUrl });
      for (let i = 0; i < 4; i++) await v.verify(req(await own.mint({ commonName: CLIENT })), { admin: false });
      expect(own.jwksFetches).toBe(1);
    } finally {
      await own.close();
    }
  });

  it("refetches on a new kid after rotation, and keeps accepting the previous key while it is published", async () => {
    const own = await startAccessIssuer();
    try {
      const cfg = { teamDomain: own.teamDomain, audiences: [own.aud], clientIds: [CLIENT], adminClientIds: [], jwksUrl: own.jwksUrl };
      const v = new AccessVerifier(cfg, { jwksCooldownSeconds: 0 });
      const oldToken = await own.mint({ commonName: CLIENT });
      await v.verify(req(oldToken), { admin: false });
      expect(own.jwksFetches).toBe(1);
      await own.rotate();
      await expect(v.verify(req(await own.mint({ commonName: CLIENT })), { admin: false })).resolves.toMatchObject({ clientId: CLIENT });
      expect(own.jwksFetches).toBe(2);
      await v.verify(req(oldToken), { admin: false });
      await v.verify(req(await own.mint({ commonName: CLIENT })), { admin: false });
      expect(own.jwksFetches).toBe(2);
    } finally {
      await own.close();
    }
  });

  it("does not refetch for unknown kids during the cooldown (a flood of made-up kids is not a flood of fetches)", async () => {
    const own = await startAccessIssuer();
    try {
      const cfg = { teamDomain: own.teamDomain, audiences: [own.aud], clientIds: [CLIENT], adminClientIds: [], jwksUrl: own.jwksUrl };
      const v = new AccessVerifier(cfg); // default 30 s cooldown
      await v.verify(req(await own.mint({ commonName: CLIENT })), { admin: false });
      for (let i = 0; i < 5; i++) expect((await denial(v, await own.mint({ commonName: CLIENT, kid: `made-up-${i}` }))).reason).toBe("unknown_kid");
      expect(own.jwksFetches).toBe(1);
    } finally {
      await own.close();
    }
  });

  it("uses an injected fetch for the JWKS (and the derived certs URL when no override is set)", async () => {
    const seen: string[] = [];
    const v = new AccessVerifier(
      { teamDomain: issuer.teamDomain, audiences: [issuer.aud], clientIds: [CLIENT], adminClientIds: [] },
      {
        fetch: async (input, init) => {
          seen.push(String(input));
          return fetch(issuer.jwksUrl, init);
        },
      },
    );
    await expect(v.verify(req(await issuer.mint({ commonName: CLIENT })), { admin: false })).resolves.toMatchObject({ clientId: CLIENT });
    expect(seen).toEqual([`${issuer.teamDomain}/cdn-cgi/access/certs`]);
  });
});

describe("AccessVerifier: tokens verified lately", () => {
  /** Counts the signature checks jose makes (Web Crypto's verify) while `f` runs. */
  async function signatureChecks(f: () => Promise<unknown>): Promise<number> {
    const subtle = globalThis.crypto.subtle;
    const original = subtle.verify;
    let calls = 0;
    subtle.verify = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto["verify"]>) {
      calls++;
      return original.apply(this, args);
    } as SubtleCrypto["verify"];
    try {
      await f();
    } finally {
      subtle.verify = original;
    }
    return calls;
  }

  it("checks a token's signature once: the same token again is taken from memory, another one is checked", async () => {
    const v = new AccessVerifier(config());
    const token = await issuer.mint({ commonName: CLIENT });
    expect(await signatureChecks(() => v.verify(req(token), { admin: false }))).toBe(1);
    expect(await signatureChecks(async () => {
      for (let i = 0; i < 5; i++) expect(await v.verify(req(token), { admin: false })).toEqual({ clientId: CLIENT, email: null });
    })).toBe(0);
    const other = await issuer.mint({ commonName: CLIENT, claims: { n: 2 } });
    expect(await signatureChecks(() => v.verify(req(other), { admin: false }))).toBe(1);
  });

  it("still applies the allowlists to a remembered token: a gateway client's token opens no admin path", async () => {
    const v = new AccessVerifier(config());
    const token = await issuer.mint({ commonName: CLIENT });
    await v.verify(req(token), { admin: false });
    expect((await denial(v, token, true)).reason).toBe("client_not_allowed");
    const user = await issuer.mint({ email: "alice@example.com" });
    await v.verify(req(user), { admin: false });
    expect((await denial(v, user, true)).reason).toBe("email_not_allowed");
  });

  it("never remembers a refused token: a forged one is refused every time", async () => {
    const v = new AccessVerifier(config());
    const forged = await issuer.mint({ commonName: CLIENT, alg: "HS256" });
    for (let i = 0; i < 3; i++) expect((await denial(v, forged)).reason).toBe("algorithm");
    const good = await issuer.mint({ commonName: CLIENT });
    const tampered = `${good.slice(0, good.lastIndexOf(".") + 1)}${base64url.encode("not the signature")}`;
    expect(await signatureChecks(async () => {
      for (let i = 0; i < 3; i++) expect((await denial(v, tampered)).reason).toBe("signature");
    })).toBe(3);
  });

  it("does not keep a token past its expiry: once the clock passes exp and the skew, it is refused", async () => {
    const v = new AccessVerifier(config({ skewSeconds: 1 }));
    const token = await issuer.mint({ commonName: CLIENT, exp: now() + 2 });
    await v.verify(req(token), { admin: false });
    // Only the clock moves (Date, which both the memory and jose read); timers and I/O stay real.
    vi.useFakeTimers({ now: Date.now() + 4_000, toFake: ["Date"] });
    try {
      expect((await denial(v, token)).reason).toBe("expired");
    } finally {
      vi.useRealTimers();
    }
  });

  it("is bounded: past its size the oldest token is forgotten (and checked again when it comes back)", async () => {
    const v = new AccessVerifier(config(), { maxVerifiedTokens: 2 });
    const tokens = await Promise.all([1, 2, 3].map((n) => issuer.mint({ commonName: CLIENT, claims: { n } })));
    for (const t of tokens) await v.verify(req(t), { admin: false });
    expect(await signatureChecks(() => v.verify(req(tokens[2]!), { admin: false }))).toBe(0);
    expect(await signatureChecks(() => v.verify(req(tokens[0]!), { admin: false }))).toBe(1);
  });
});
