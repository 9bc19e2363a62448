import { describe, expect, it } from "vitest";
import { DEFAULT_ABUSE_LIMITS, MemoryAbuseLimiter, parseAbuseLimits } from "../../worker/edge/abuse.ts";

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function failTimes(l: MemoryAbuseLimiter, ip: string, n: number, at: number): void {
  for (let i = 0; i < n; i++) l.recordFailedKey(ip, at + i);
}

describe("request ceiling (sliding window)", () => {
  it("defaults to 2,000 requests per 5 minutes, like the seed's WAF rule", () => {
    expect(DEFAULT_ABUSE_LIMITS.ceiling).toBe(2000);
    expect(DEFAULT_ABUSE_LIMITS.windowMs).toBe(300_000);
    const l = new MemoryAbuseLimiter();
    for (let i = 0; i < 2000; i++) expect(l.check("198.51.100.7", T0 + i).allowed).toBe(true);
    expect(l.check("198.51.100.7", T0 + 2000)).toMatchObject({ allowed: false, reason: "ceiling" });
  });

  it("counts per IP: one noisy IP does not limit another", () => {
    const l = new MemoryAbuseLimiter({ ceiling: 3, windowMs: MIN });
    for (let i = 0; i < 3; i++) l.check("a", T0);
    expect(l.check("a", T0).allowed).toBe(false);
    expect(l.check("b", T0).allowed).toBe(true);
  });

  it("slides: the previous window's requests weigh less as it moves out, and a refused request is not counted", () => {
    const l = new MemoryAbuseLimiter({ ceiling: 10, windowMs: MIN });
    for (let i = 0; i < 10; i++) expect(l.check("ip", T0).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect(l.check("ip", T0 + 1000).allowed).toBe(false);
    // Just into the next window, the previous 10 still weigh ~10: refused.
    expect(l.check("ip", T0 + MIN + 1).allowed).toBe(false);
    // Halfway through the next window they weigh 5: five more are allowed, the sixth is not.
    const half = T0 + MIN + MIN / 2;
    for (let i = 0; i < 5; i++) expect(l.check("ip", half).allowed).toBe(true);
    expect(l.check("ip", half).allowed).toBe(false);
    // Two full windows later nothing weighs anything.
    for (let i = 0; i < 10; i++) expect(l.check("ip", T0 + 3 * MIN).allowed).toBe(true);
  });

  it("gives a Retry-After after which a request is in fact allowed", () => {
    const l = new MemoryAbuseLimiter({ ceiling: 10, windowMs: MIN });
    for (let i = 0; i < 10; i++) l.check("ip", T0 + 30_000);
    const refused = l.check("ip", T0 + 30_000);
    expect(refused.allowed).toBe(false);
    const wait = refused.retryAfterSeconds!;
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait * 1000).toBeLessThanOrEqual(2 * MIN);
    expect(l.check("ip", T0 + 30_000 + (wait - 1) * 1000).allowed).toBe(false);
    expect(l.check("ip", T0 + 30_000 + wait * 1000).allowed).toBe(true);
  });

  it("can be turned off with a ceiling of 0", () => {
    const l = new MemoryAbuseLimiter({ ceiling: 0 });
    for (let i = 0; i < 5000; i++) expect(l.check("ip", T0).allowed).toBe(true);
  });
});

describe("failed-key lockout", () => {
  it("locks an IP out after 5 failures within 10 minutes, for 1 minute", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 4, T0);
    expect(l.check("ip", T0 + 10).allowed).toBe(true);
    l.recordFailedKey("ip", T0 + 20);
    expect(l.check("ip", T0 + 21)).toEqual({ allowed: false, reason: "lockout", retryAfterSeconds: 60 });
    expect(l.check("ip", T0 + 20 + MIN - 1).allowed).toBe(false);
    expect(l.check("ip", T0 + 20 + MIN).allowed).toBe(true);
    expect(l.check("other", T0 + 21).allowed).toBe(true);
  });

  it("forgets failures older than the window", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 4, T0);
    l.recordFailedKey("ip", T0 + 11 * MIN);
    expect(l.check("ip", T0 + 11 * MIN).allowed).toBe(true);
  });

  it("doubles the lockout each time (1, 2, 4, 8 … minutes), capped at an hour", () => {
    const l = new MemoryAbuseLimiter();
    let t = T0;
    const lengths: number[] = [];
    for (let round = 0; round < 9; round++) {
      failTimes(l, "ip", 5, t);
      const d = l.check("ip", t + 5);
      expect(d.reason).toBe("lockout");
      lengths.push(d.retryAfterSeconds!);
      t += d.retryAfterSeconds! * 1000 + 10;
    }
    expect(lengths).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it("ignores failures while locked (they cannot extend the lockout)", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 5, T0);
    failTimes(l, "ip", 50, T0 + 1000);
    expect(l.check("ip", T0 + 4 + MIN).allowed).toBe(true);
  });

  it("resets on a success after the lockout: the next lockout is back to one minute", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 5, T0);
    l.recordSuccess("ip", T0 + 1000); // during the lockout: no effect
    const t1 = T0 + 2 * MIN;
    failTimes(l, "ip", 5, t1);
    expect(l.check("ip", t1 + 5).retryAfterSeconds).toBe(120);
    const t2 = t1 + 3 * MIN;
    l.recordSuccess("ip", t2);
    failTimes(l, "ip", 4, t2 + 1);
    expect(l.check("ip", t2 + 10).allowed).toBe(true);
    l.recordFailedKey("ip", t2 + 20);
    expect(l.check("ip", t2 + 21).retryAfterSeconds).toBe(60);
  });

  it("a success clears earlier failures that had not yet triggered a lockout", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 4, T0);
    l.recordSuccess("ip", T0 + 100);
    failTimes(l, "ip", 4, T0 + 200);
    expect(l.check("ip", T0 + 300).allowed).toBe(true);
  });

  it("forgets old strikes after a day without lockouts", () => {
    const l = new MemoryAbuseLimiter();
    failTimes(l, "ip", 5, T0);
    const t1 = T0 + 2 * MIN;
    failTimes(l, "ip", 5, t1); // second strike: 2 min
    const t2 = t1 + 25 * 60 * MIN;
    failTimes(l, "ip", 5, t2);
    expect(l.check("ip", t2 + 10).retryAfterSeconds).toBe(60);
  });
});

describe("bounded memory", () => {
  it("tracks at most maxEntries IPs, forgetting the least recently seen", () => {
    const l = new MemoryAbuseLimiter({ maxEntries: 3, ceiling: 1, windowMs: MIN });
    l.check("a", T0);
    l.check("b", T0);
    l.check("c", T0);
    l.check("a", T0); // a is refused (ceiling 1) but now the most recently seen
    l.check("d", T0); // evicts b
    expect(l.size).toBe(3);
    expect(l.check("a", T0).allowed).toBe(false); // still remembered
    expect(l.check("b", T0).allowed).toBe(true); // forgotten, so it starts afresh
  });

  it("stays bounded under a flood of distinct IPs", () => {
    const l = new MemoryAbuseLimiter({ maxEntries: 100 });
    for (let i = 0; i < 5000; i++) l.recordFailedKey(`10.0.${i >> 8}.${i & 255}`, T0 + i);
    expect(l.size).toBe(100);
  });
});

describe("parseAbuseLimits", () => {
  it("uses the defaults when nothing is set", () => {
    expect(parseAbuseLimits({})).toEqual(DEFAULT_ABUSE_LIMITS);
  });

  it("reads the env in seconds", () => {
    const l = parseAbuseLimits({
      ABUSE_IP_CEILING: "500",
      ABUSE_IP_WINDOW_SECONDS: "60",
      ABUSE_KEY_FAILURES: "3",
      ABUSE_KEY_FAILURE_WINDOW_SECONDS: "120",
      ABUSE_LOCKOUT_SECONDS: "30",
      ABUSE_LOCKOUT_MAX_SECONDS: "600",
    });
    expect(l).toMatchObject({ ceiling: 500, windowMs: 60_000, failureThreshold: 3, failureWindowMs: 120_000, baseLockoutMs: 30_000, maxLockoutMs: 600_000 });
  });

  it("names every bad value", () => {
    expect(() => parseAbuseLimits({ ABUSE_IP_CEILING: "lots", ABUSE_KEY_FAILURES: "0" })).toThrow(/ABUSE_IP_CEILING.*ABUSE_KEY_FAILURES/);
    expect(() => parseAbuseLimits({ ABUSE_LOCKOUT_SECONDS: "600", ABUSE_LOCKOUT_MAX_SECONDS: "60" })).toThrow(/ABUSE_LOCKOUT_MAX_SECONDS/);
  });
});
