// One key's live limits, in memory: sliding-window requests and tokens per minute, requests in flight, and the
// budget as spent + reserved. Pure (time comes in as an argument), so the Durable Object and the in-process meter
// share it and it is tested on its own. A key can never end a period above its budget: every admitted request
// reserves its worst-case cost first, and the reservation is replaced by the real cost when it settles.
import { periodEnd } from "./periods.ts";

export interface KeyLimits {
  rpm: number | null;
  tpm: number | null;
  parallel: number | null;
  maxBudget: number | null;
  budgetDuration: string | null;
  /** IANA zone in which day-based budget periods start (midnight). */
  timezone: string;
  /** When the current budget period ends, as stored for the key (null: derive from the duration). */
  budgetResetAt: number | null;
}

export interface Estimate {
  /** Tokens expected, counted against the per-minute token limit until the real figure is known. */
  tokens: number;
  /** Worst-case cost in USD, reserved against the budget. */
  cost: number;
}

export type Refusal =
  | { status: 429; reason: "rpm" | "tpm" | "parallel"; retryAfterSeconds: number; message: string }
  | { status: 402; reason: "budget"; resetsAt: number | null; message: string };

export interface Standing {
  limitRequests: number | null;
  remainingRequests: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  /** Seconds until the oldest request/token leaves the one-minute window. */
  resetSeconds: number;
  spent: number;
  maxBudget: number | null;
  remainingBudget: number | null;
  budgetResetsAt: number | null;
}

export type AdmitOutcome = ({ ok: true } & Standing) | ({ ok: false; refusal: Refusal } & Standing);

export interface Snapshot {
  spent: number;
  periodEnd: number | null;
  requests: number[];
  tokens: [number, number][];
  inflight: Record<string, { cost: number; tokens: number; at: number }>;
}

const WINDOW_MS = 60_000;
/** A reservation never settled (its Worker died) is dropped after this long, so it cannot block the key forever. */
export const RESERVATION_TTL_MS = 60 * 60_000;

export class KeyState {
  spent = 0;
  periodEnd: number | null = null;
  private requests: number[] = [];
  private tokens: [number, number][] = [];
  private inflight = new Map<string, { cost: number; tokens: number; at: number }>();

  static from(s: Snapshot): KeyState {
    const k = new KeyState();
    k.spent = s.spent;
    k.periodEnd = s.periodEnd;
    k.requests = [...s.requests];
    k.tokens = s.tokens.map(([t, n]) => [t, n]);
    k.inflight = new Map(Object.entries(s.inflight));
    return k;
  }

  snapshot(): Snapshot {
    return { spent: this.spent, periodEnd: this.periodEnd, requests: [...this.requests], tokens: [...this.tokens], inflight: Object.fromEntries(this.inflight) };
  }

  get reserved(): number {
    let sum = 0;
    for (const r of this.inflight.values()) sum += r.cost;
    return sum;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /**
   * Starts a new budget period if the current one is over. Returns the start of the new period when it rolled (the
   * caller may persist it), null otherwise.
   */
  roll(now: number, limits: KeyLimits): number | null {
    if (!limits.budgetDuration) return null;
    if (this.periodEnd === null) {
      this.periodEnd = limits.budgetResetAt ?? periodEnd(now, now, limits.budgetDuration, limits.timezone);
      if (this.periodEnd > now) return null;
    }
    if (now < this.periodEnd) return null;
    const start = this.periodEnd;
    this.spent = 0;
    this.periodEnd = periodEnd(start, now, limits.budgetDuration, limits.timezone);
    return start;
  }

  admit(now: number, id: string, limits: KeyLimits, est: Estimate): AdmitOutcome {
    this.prune(now);
    this.roll(now, limits);
    const refusal = this.refusal(now, limits, est);
    if (!refusal) {
      this.requests.push(now);
      this.inflight.set(id, { cost: est.cost, tokens: est.tokens, at: now });
      return { ok: true, ...this.standing(now, limits) };
    }
    return { ok: false, refusal, ...this.standing(now, limits) };
  }

  /** Replaces a reservation by what the request really cost; unknown ids (already settled or expired) still count. */
  settle(now: number, id: string, actual: { tokens: number; cost: number }, limits: KeyLimits): Standing {
    this.prune(now);
    this.roll(now, limits);
    this.inflight.delete(id);
    this.spent += actual.cost;
    if (actual.tokens > 0) this.tokens.push([now, actual.tokens]);
    return this.standing(now, limits);
  }

  private refusal(now: number, limits: KeyLimits, est: Estimate): Refusal | null {
    if (limits.parallel !== null && this.inflight.size >= limits.parallel) {
      return { status: 429, reason: "parallel", retryAfterSeconds: 1, message: `This key allows ${limits.parallel} requests at a time.` };
    }
    if (limits.rpm !== null && this.requests.length >= limits.rpm) {
      const wait = Math.max(1, Math.ceil((this.requests[0]! + WINDOW_MS - now) / 1000));
      return { status: 429, reason: "rpm", retryAfterSeconds: wait, message: `Rate limit: this key allows ${limits.rpm} requests per minute.` };
    }
    if (limits.tpm !== null && this.tokensInWindow() >= limits.tpm) {
      const oldest = this.tokens[0]?.[0] ?? now;
      const wait = Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
      return { status: 429, reason: "tpm", retryAfterSeconds: wait, message: `Rate limit: this key allows ${limits.tpm} tokens per minute.` };
    }
    if (limits.maxBudget !== null) {
      const committed = this.spent + this.reserved;
      if (committed + est.cost > limits.maxBudget) {
        const left = Math.max(0, limits.maxBudget - this.spent);
        const message =
          this.spent >= limits.maxBudget
            ? `Budget exceeded: this key has spent $${this.spent.toFixed(4)} of its $${limits.maxBudget} budget.`
            : `Budget: this request could cost up to $${est.cost.toFixed(4)} but the key has $${left.toFixed(4)} left` +
              (this.reserved > 0 ? ` ($${this.reserved.toFixed(4)} of it reserved by requests in flight)` : "") +
              "; lower max_tokens or wait.";
        return { status: 402, reason: "budget", resetsAt: limits.budgetDuration ? this.periodEnd : null, message };
      }
    }
    return null;
  }

  private tokensInWindow(): number {
    let n = 0;
    for (const [, t] of this.tokens) n += t;
    for (const r of this.inflight.values()) n += r.tokens;
    return n;
  }

  private standing(now: number, limits: KeyLimits): Standing {
    const used = this.tokensInWindow();
    const oldest = Math.min(this.requests[0] ?? now, this.tokens[0]?.[0] ?? now);
    return {
      limitRequests: limits.rpm,
      remainingRequests: limits.rpm === null ? null : Math.max(0, limits.rpm - this.requests.length),
      limitTokens: limits.tpm,
      remainingTokens: limits.tpm === null ? null : Math.max(0, limits.tpm - used),
      resetSeconds: Math.max(0, Math.ceil((oldest + WINDOW_MS - now) / 1000)),
      spent: this.spent,
      maxBudget: limits.maxBudget,
      remainingBudget: limits.maxBudget === null ? null : Math.max(0, limits.maxBudget - this.spent - this.reserved),
      budgetResetsAt: limits.budgetDuration ? this.periodEnd : null,
    };
  }

  private prune(now: number): void {
    const cutoff = now - WINDOW_MS;
    while (this.requests.length && this.requests[0]! <= cutoff) this.requests.shift();
    while (this.tokens.length && this.tokens[0]![0] <= cutoff) this.tokens.shift();
    for (const [id, r] of this.inflight) if (r.at <= now - RESERVATION_TTL_MS) this.inflight.delete(id);
  }
}
