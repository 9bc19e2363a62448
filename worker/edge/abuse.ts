/**
 * Per-client-IP abuse limits, applied before any key lookup: a request ceiling like the seed's WAF rate-limiting rule
 * (2,000 requests per 5 minutes), and a lockout for IPs that keep presenting bad keys, growing with every repeat.
 * The key is `CF-Connecting-IP`. Everything a caller from that IP sends is refused while it is over the ceiling or
 * locked out — an IP brute-forcing keys gets no other service either. (Callers behind one NAT share the fate; that
 * is the usual price of per-IP limits.)
 *
 * `AbuseLimiter` is the interface the pipeline uses; `MemoryAbuseLimiter` keeps its state in the isolate, so each
 * isolate enforces its own share until the lead backs this with a Durable Object. Times are milliseconds (Date.now()).
 */

export interface AbuseDecision {
  allowed: boolean;
  /** Whole seconds until a retry can succeed (for `Retry-After`); set when refused. */
  retryAfterSeconds?: number;
  reason?: "ceiling" | "lockout";
}

export interface AbuseLimiter {
  /** Decides about one request from `ip`, and counts it towards the ceiling when it is allowed. */
  check(ip: string, now: number): AbuseDecision;
  /** The request from `ip` presented a key that does not exist (or is otherwise invalid). */
  recordFailedKey(ip: string, now: number): void;
  /** The request from `ip` authenticated: clears its failure history (once any lockout has ended). */
  recordSuccess(ip: string, now: number): void;
}

export interface AbuseLimits {
  /** Requests allowed per IP per window; 0 turns the ceiling off. */
  ceiling: number;
  windowMs: number;
  /** Failed keys within `failureWindowMs` that trigger a lockout. */
  failureThreshold: number;
  failureWindowMs: number;
  /** First lockout; each further one (without a success in between) doubles, up to `maxLockoutMs`. */
  baseLockoutMs: number;
  maxLockoutMs: number;
  /** After this long without a lockout, an IP's lockout count starts again from the first. */
  strikeMemoryMs: number;
  /** At most this many IPs are tracked; the least recently seen are forgotten first. */
  maxEntries: number;
}

export const DEFAULT_ABUSE_LIMITS: Readonly<AbuseLimits> = {
  ceiling: 2000,
  windowMs: 300_000,
  failureThreshold: 5,
  failureWindowMs: 600_000,
  baseLockoutMs: 60_000,
  maxLockoutMs: 3_600_000,
  strikeMemoryMs: 86_400_000,
  maxEntries: 10_000,
};

/**
 * Limits from env, defaults for anything unset: ABUSE_IP_CEILING (requests, 0 = off), ABUSE_IP_WINDOW_SECONDS,
 * ABUSE_KEY_FAILURES, ABUSE_KEY_FAILURE_WINDOW_SECONDS, ABUSE_LOCKOUT_SECONDS, ABUSE_LOCKOUT_MAX_SECONDS. Throws one
 * error naming every bad value.
 */
export function parseAbuseLimits(env: Record<string, string | undefined>): AbuseLimits {
  const problems: string[] = [];
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const d = DEFAULT_ABUSE_LIMITS;
  const limits: AbuseLimits = {
    ...d,
    ceiling: int("ABUSE_IP_CEILING", d.ceiling, 0, 10_000_000),
    windowMs: int("ABUSE_IP_WINDOW_SECONDS", d.windowMs / 1000, 1, 86_400) * 1000,
    failureThreshold: int("ABUSE_KEY_FAILURES", d.failureThreshold, 1, 1000),
    failureWindowMs: int("ABUSE_KEY_FAILURE_WINDOW_SECONDS", d.failureWindowMs / 1000, 1, 86_400) * 1000,
    baseLockoutMs: int("ABUSE_LOCKOUT_SECONDS", d.baseLockoutMs / 1000, 1, 86_400) * 1000,
    maxLockoutMs: int("ABUSE_LOCKOUT_MAX_SECONDS", d.maxLockoutMs / 1000, 1, 7 * 86_400) * 1000,
  };
  if (limits.maxLockoutMs < limits.baseLockoutMs) problems.push("ABUSE_LOCKOUT_MAX_SECONDS must not be less than ABUSE_LOCKOUT_SECONDS");
  if (problems.length) throw new Error(`Invalid abuse limits: ${problems.join("; ")}`);
  return limits;
}

interface IpState {
  /** Start of the current fixed window of the ceiling's sliding-window estimate. */
  windowStart: number;
  current: number;
  previous: number;
  /** Times of recent failed keys (at most `failureThreshold` kept). */
  failures: number[];
  lockedUntil: number;
  /** Lockouts so far without a success in between; sets the next lockout's length. */
  strikes: number;
  lastLockAt: number;
}

/**
 * In-memory limiter. The ceiling uses the sliding-window counter (the previous fixed window's count weighted by how
 * much of it still overlaps, plus the current window's): constant memory per IP, the same estimate Cloudflare's own
 * rate limiting uses, rather than a timestamp per request (2,000 numbers per IP).
 */
export class MemoryAbuseLimiter implements AbuseLimiter {
  private readonly limits: AbuseLimits;
  // Map iteration order is insertion order; touching an IP re-inserts it, so the first key is the least recently seen.
  private readonly ips = new Map<string, IpState>();

  constructor(limits: Partial<AbuseLimits> = {}) {
    this.limits = { ...DEFAULT_ABUSE_LIMITS, ...limits };
  }

  /** Number of IPs currently tracked (for tests and metrics). */
  get size(): number {
    return this.ips.size;
  }

  check(ip: string, now: number): AbuseDecision {
    const s = this.touch(ip, now);
    if (now < s.lockedUntil) return { allowed: false, reason: "lockout", retryAfterSeconds: secondsUntil(s.lockedUntil, now) };

    const { ceiling, windowMs } = this.limits;
    if (ceiling > 0) {
      this.roll(s, now);
      const elapsed = (now - s.windowStart) / windowMs;
      const estimate = s.previous * (1 - elapsed) + s.current;
      if (estimate + 1 > ceiling) return { allowed: false, reason: "ceiling", retryAfterSeconds: this.ceilingRetry(s, now) };
      s.current++;
    }
    return { allowed: true };
  }

  recordFailedKey(ip: string, now: number): void {
    const s = this.touch(ip, now);
    if (now < s.lockedUntil) return; // already locked; the lockout itself is the answer
    const { failureThreshold, failureWindowMs, baseLockoutMs, maxLockoutMs, strikeMemoryMs } = this.limits;
    s.failures = s.failures.filter((t) => now - t < failureWindowMs);
    s.failures.push(now);
    if (s.failures.length < failureThreshold) return;
    if (s.strikes > 0 && now - s.lastLockAt > strikeMemoryMs) s.strikes = 0;
    // 2 ** strikes overflows nothing: the exponent stops growing once the cap is reached.
    const lockMs = Math.min(baseLockoutMs * 2 ** Math.min(s.strikes, 40), maxLockoutMs);
    s.lockedUntil = now + lockMs;
    s.lastLockAt = now;
    s.strikes++;
    s.failures = [];
  }

  recordSuccess(ip: string, now: number): void {
    const s = this.ips.get(ip);
    if (!s || now < s.lockedUntil) return;
    s.failures = [];
    s.strikes = 0;
  }

  /** The IP's state, created if new, moved to the most-recent end, with the oldest IPs evicted beyond the bound. */
  private touch(ip: string, now: number): IpState {
    let s = this.ips.get(ip);
    if (s) this.ips.delete(ip);
    else s = { windowStart: now, current: 0, previous: 0, failures: [], lockedUntil: 0, strikes: 0, lastLockAt: 0 };
    this.ips.set(ip, s);
    while (this.ips.size > this.limits.maxEntries) {
      const oldest = this.ips.keys().next().value;
      if (oldest === undefined) break;
      this.ips.delete(oldest);
    }
    return s;
  }

  /** Advances the fixed windows so `now` falls in the current one. */
  private roll(s: IpState, now: number): void {
    const { windowMs } = this.limits;
    if (now < s.windowStart) s.windowStart = now; // clock went backwards: restart the window rather than misjudge
    const windows = Math.floor((now - s.windowStart) / windowMs);
    if (windows === 0) return;
    s.previous = windows === 1 ? s.current : 0;
    s.current = 0;
    s.windowStart += windows * windowMs;
  }

  /** When the estimate next drops low enough to admit one more request (the previous window keeps sliding out). */
  private ceilingRetry(s: IpState, now: number): number {
    const { ceiling, windowMs } = this.limits;
    let at: number;
    if (s.current + 1 <= ceiling && s.previous > 0) {
      // previous * (1 - f) + current + 1 <= ceiling  ⇔  f >= 1 - (ceiling - current - 1) / previous
      at = s.windowStart + windowMs * (1 - (ceiling - s.current - 1) / s.previous);
    } else {
      // Only the next window can help: there, current becomes previous and must weigh at most ceiling - 1.
      at = s.windowStart + windowMs + windowMs * Math.max(0, 1 - (ceiling - 1) / Math.max(s.current, 1));
    }
    return secondsUntil(Math.max(at, now + 1), now);
  }
}

function secondsUntil(t: number, now: number): number {
  return Math.max(1, Math.ceil((t - now) / 1000));
}
