import { describe, expect, it } from "vitest";
import type { KeyRecord } from "../../worker/db/queries.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { checkKeyUsable, checkModelAllowed, presentedKey } from "../../worker/keys/policy.ts";
import { KeyStore } from "../../worker/keys/store.ts";
import { Catalog } from "../../worker/models/catalog.ts";

function key(over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: "00000000-0000-0000-0000-000000000001", keyAlias: "alice", models: [], maxBudget: null, spend: 0, budgetDuration: null,
    budgetResetAt: null, rpmLimit: null, tpmLimit: null, maxParallelRequests: null, expires: null, blocked: false,
    userId: null, teamId: null, metadata: {}, ...over,
  } as KeyRecord;
}

const errStatus = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as GatewayError).status;
  }
  return 0;
};

describe("presented key", () => {
  it("reads x-api-key and Authorization: Bearer", () => {
    expect(presentedKey(new Headers({ "x-api-key": "sk-1" }))).toBe("sk-1");
    expect(presentedKey(new Headers({ authorization: "Bearer sk-2" }))).toBe("sk-2");
    expect(presentedKey(new Headers({ authorization: "bearer   sk-3 " }))).toBe("sk-3");
    expect(presentedKey(new Headers({ authorization: "Basic abc" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });
});

describe("key policy", () => {
  const now = new Date("2026-11-22T12:00:00Z");
  it("refuses unknown, blocked and expired keys with 401", () => {
    expect(errStatus(() => checkKeyUsable(null, now))).toBe(401);
    expect(errStatus(() => checkKeyUsable(key({ blocked: true }), now))).toBe(401);
    expect(errStatus(() => checkKeyUsable(key({ expires: new Date("2026-11-22T11:59:59Z") }), now))).toBe(401);
    expect(checkKeyUsable(key({ expires: new Date("2026-11-22T12:00:01Z") }), now).keyAlias).toBe("alice");
  });
  it("leaves budgets to the meter (a cached spend may belong to a finished period)", () => {
    expect(checkKeyUsable(key({ maxBudget: 5, spend: 5 }), now).spend).toBe(5);
  });
  it("allows every model for an empty list and only listed names (groups expanded) otherwise", () => {
    const catalog = new Catalog({ geoPrefix: "us" });
    expect(() => checkModelAllowed(catalog.allowedNames([]), ["anything"])).not.toThrow();
    const k = catalog.allowedNames(["claude-sonnet-4-6"]);
    expect(() => checkModelAllowed(k, ["claude-sonnet-4-6"])).not.toThrow();
    expect(() => checkModelAllowed(k, ["us.anthropic.claude-sonnet-4-6", "claude-sonnet-4-6"])).not.toThrow();
    expect(errStatus(() => checkModelAllowed(k, ["claude-opus-4-7"]))).toBe(403);
    const claude = catalog.allowedNames(["all-claude", "titan-embed-text-v2"]);
    expect(() => checkModelAllowed(claude, ["claude-opus-4-7"])).not.toThrow();
    expect(() => checkModelAllowed(claude, ["titan-embed-text-v2"])).not.toThrow();
    expect(errStatus(() => checkModelAllowed(claude, ["nova-pro"]))).toBe(403);
    expect(catalog.allowedNames(["all-embeddings"])).toEqual(new Set(["titan-embed-text-v2", "cohere-embed-english-v3", "cohere-embed-multilingual-v3", "cohere-embed-v4"]));
  });
});

describe("isolate key cache", () => {
  it("serves a warm key without calling the loader, and reloads after the TTL", async () => {
    let t = 0;
    let loads = 0;
    const store = new KeyStore(async () => (loads++, key()), 30_000, 2_000, 100, () => t);
    await store.lookup("h");
    await store.lookup("h");
    expect(loads).toBe(1);
    t = 29_999;
    await store.lookup("h");
    expect(loads).toBe(1);
    t = 30_000;
    await store.lookup("h");
    expect(loads).toBe(2);
  });

  it("remembers unknown keys only briefly", async () => {
    let t = 0;
    let loads = 0;
    const store = new KeyStore(async () => (loads++, null), 30_000, 2_000, 100, () => t);
    expect(await store.lookup("x")).toBeNull();
    expect(await store.lookup("x")).toBeNull();
    expect(loads).toBe(1);
    t = 2_000;
    await store.lookup("x");
    expect(loads).toBe(2);
  });

  it("bounds its size and applies locally recorded spend to warm entries", async () => {
    const store = new KeyStore(async (h) => key({ keyAlias: h }), 30_000, 2_000, 2);
    await store.lookup("a");
    await store.lookup("b");
    await store.lookup("c");
    let loads = 0;
    const probe = new KeyStore(async () => (loads++, key()), 30_000, 2_000, 2);
    await probe.lookup("a");
    await probe.lookup("b");
    await probe.lookup("c"); // evicts "a"
    await probe.lookup("a");
    expect(loads).toBe(4);
    store.addSpend("c", 1.25);
    expect((await store.lookup("c"))?.spend).toBe(1.25);
  });
});
