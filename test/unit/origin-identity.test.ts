import { describe, expect, it } from "vitest";
import { IDENTITY_MAX_AGE_MS, ReplayGuard, signIdentity, verifyIdentity, type OriginIdentity } from "../../worker/origin/identity.ts";

const SECRET = "origin-shared-secret-for-tests-0123456789";
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function identity(over: Partial<OriginIdentity> = {}): OriginIdentity {
  return {
    keyId: "key_1",
    alias: "alice",
    models: ["nova-reel"],
    limits: { rpm: 60, tpm: null, parallel: null, maxBudget: 5, maxVideoJobs: 3 },
    requestId: `req_${Math.random().toString(36).slice(2)}`,
    method: "POST",
    path: "/v1/videos",
    ts: NOW,
    ...over,
  };
}

const req = { method: "POST", path: "/v1/videos" };

describe("origin identity header", () => {
  it("round-trips: the verifier returns exactly what was signed", async () => {
    const id = identity();
    const header = await signIdentity(SECRET, id);
    expect(header).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const r = await verifyIdentity(SECRET, header, req, { replay: new ReplayGuard(), now: NOW + 1000 });
    expect(r).toEqual({ ok: true, identity: id });
  });

  it("refuses a missing header, another secret, and a tampered payload", async () => {
    const header = await signIdentity(SECRET, identity());
    const replay = new ReplayGuard();
    expect(await verifyIdentity(SECRET, null, req, { replay, now: NOW })).toEqual({ ok: false, reason: "missing identity header" });
    expect(await verifyIdentity("another-secret-0123456789012345678901", header, req, { replay, now: NOW })).toEqual({ ok: false, reason: "bad signature" });
    const [v, payload, mac] = header.split(".");
    const forged = JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/"))) as OriginIdentity;
    forged.limits.maxBudget = 1e9;
    const forgedPart = btoa(JSON.stringify(forged)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect(await verifyIdentity(SECRET, `${v}.${forgedPart}.${mac}`, req, { replay, now: NOW })).toEqual({ ok: false, reason: "bad signature" });
    expect((await verifyIdentity(SECRET, "v2.abc.def", req, { replay, now: NOW })).ok).toBe(false);
    expect((await verifyIdentity(SECRET, "v1.a$b.c", req, { replay, now: NOW })).ok).toBe(false);
    expect((await verifyIdentity("", header, req, { replay, now: NOW })).ok).toBe(false);
  });

  it("refuses a header older than 60 seconds or from the future", async () => {
    const header = await signIdentity(SECRET, identity());
    expect(await verifyIdentity(SECRET, header, req, { replay: new ReplayGuard(), now: NOW + IDENTITY_MAX_AGE_MS + 1 })).toEqual({ ok: false, reason: "stale identity header" });
    expect(await verifyIdentity(SECRET, header, req, { replay: new ReplayGuard(), now: NOW - 60_000 })).toEqual({ ok: false, reason: "identity header from the future" });
    expect((await verifyIdentity(SECRET, header, req, { replay: new ReplayGuard(), now: NOW + IDENTITY_MAX_AGE_MS })).ok).toBe(true);
  });

  it("is bound to the method and path it was made for", async () => {
    const header = await signIdentity(SECRET, identity());
    expect(await verifyIdentity(SECRET, header, { method: "GET", path: "/v1/videos" }, { replay: new ReplayGuard(), now: NOW })).toEqual({ ok: false, reason: "identity header made for another request" });
    expect(await verifyIdentity(SECRET, header, { method: "POST", path: "/v1/chat/completions" }, { replay: new ReplayGuard(), now: NOW })).toEqual({ ok: false, reason: "identity header made for another request" });
  });

  it("refuses a replay of an accepted header, and forgets nonces once they could no longer verify", async () => {
    const replay = new ReplayGuard();
    const header = await signIdentity(SECRET, identity({ requestId: "req_once" }));
    expect((await verifyIdentity(SECRET, header, req, { replay, now: NOW })).ok).toBe(true);
    expect(await verifyIdentity(SECRET, header, req, { replay, now: NOW + 10 })).toEqual({ ok: false, reason: "replayed identity header" });
    for (let i = 0; i < 50; i++) await verifyIdentity(SECRET, await signIdentity(SECRET, identity({ ts: NOW })), req, { replay, now: NOW });
    expect(replay.size).toBe(51);
    // Long after they all expired, a new header prunes them.
    const later = NOW + 10 * IDENTITY_MAX_AGE_MS;
    expect((await verifyIdentity(SECRET, await signIdentity(SECRET, identity({ ts: later })), req, { replay, now: later })).ok).toBe(true);
    expect(replay.size).toBe(1);
  });
});
