/**
 * The origin's life, decided in one place: when it was last used, what EC2 last said about it, and at most one wake
 * in flight, so a burst of requests that find it asleep makes exactly one StartInstances. The cron's idle stop runs
 * here too, so a wake and a stop never race: a wake records its use before anything else, and the stop re-reads that
 * record just before it calls EC2. On Workers one Durable Object holds this (state-object.ts); under Deno the process
 * does (one process, one instance of this class).
 */
import { Ec2Error, type Ec2Client, type InstanceStateName } from "./ec2.ts";

export interface LifeSettings {
  idleMs: number;
  bootGraceMs: number;
  wakeWaitMs: number;
}

/** What survives an eviction of the Durable Object. */
export interface LifeRecord {
  lastUseAt: number | null;
  wakeStartedAt: number | null;
  stoppedAt: number | null;
  known: { state: InstanceStateName; at: number; launchTime: number | null } | null;
  starts: number;
  stops: number;
}

export interface LifeStore {
  load(): Promise<LifeRecord | undefined>;
  save(record: LifeRecord): Promise<void>;
}

export interface WakeResult {
  state: InstanceStateName;
  /** True when this call issued the StartInstances. */
  started: boolean;
}

export interface IdleResult {
  stopped: boolean;
  reason: string;
  state: InstanceStateName | null;
}

export interface OriginStatus {
  /** False when no instance is configured: the origin is treated as always on. */
  managed: boolean;
  state: InstanceStateName | "unknown";
  launchTime: string | null;
  lastUseAt: string | null;
  idleMinutes: number;
  /** When the cron will stop it if nothing uses it before then (running instances only). */
  idleStopAfter: string | null;
  wakeInFlight: boolean;
  starts: number;
  stops: number;
  error?: { code: string; message: string };
}

const EMPTY: LifeRecord = { lastUseAt: null, wakeStartedAt: null, stoppedAt: null, known: null, starts: 0, stops: 0 };

export class OriginLife {
  private record: LifeRecord = { ...EMPTY };
  private loaded: Promise<void> | null = null;
  private waking: Promise<WakeResult> | null = null;

  constructor(
    private readonly ec2: Ec2Client | null,
    private readonly settings: LifeSettings,
    private readonly store: LifeStore,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** A request used the origin. */
  async touch(at = this.now()): Promise<void> {
    await this.load();
    if ((this.record.lastUseAt ?? 0) >= at) return;
    this.record.lastUseAt = at;
    await this.save();
  }

  /**
   * Makes sure the instance is running or on its way: stopped → StartInstances; stopping → wait for stopped, then
   * start; pending/running → nothing. Concurrent callers share one attempt. EC2 errors are thrown (Ec2Error).
   */
  wake(): Promise<WakeResult> {
    this.waking ??= this.doWake().finally(() => {
      this.waking = null;
    });
    return this.waking;
  }

  /** The cron: stop a running instance nobody has used for the idle period (and past the boot grace). */
  async idleCheck(): Promise<IdleResult> {
    await this.load();
    if (!this.ec2) return { stopped: false, reason: "no instance configured", state: null };
    if (this.waking) return { stopped: false, reason: "a wake is in flight", state: null };
    const st = await this.observe();
    if (st.state !== "running") return { stopped: false, reason: `instance is ${st.state}`, state: st.state };
    const now = this.now();
    const launched = Math.max(st.launchTime ?? 0, this.record.wakeStartedAt ?? 0);
    if (launched && now - launched < this.settings.bootGraceMs) return { stopped: false, reason: "within the boot grace period", state: st.state };
    // Read the last use again after the awaits above: a request that arrived meanwhile keeps the origin up.
    const lastUse = Math.max(this.record.lastUseAt ?? 0, launched);
    if (this.waking || now - lastUse < this.settings.idleMs) return { stopped: false, reason: "in use", state: st.state };
    return this.stopNow("idle");
  }

  /** Stop now (the operator asked). */
  async stop(): Promise<IdleResult> {
    await this.load();
    if (!this.ec2) return { stopped: false, reason: "no instance configured", state: null };
    return this.stopNow("requested");
  }

  async status(): Promise<OriginStatus> {
    await this.load();
    const r = this.record;
    const base = {
      managed: this.ec2 !== null,
      lastUseAt: r.lastUseAt ? new Date(r.lastUseAt).toISOString() : null,
      idleMinutes: this.settings.idleMs / 60_000,
      wakeInFlight: this.waking !== null,
      starts: r.starts,
      stops: r.stops,
    };
    if (!this.ec2) return { ...base, state: "unknown", launchTime: null, idleStopAfter: null };
    try {
      const st = await this.observe();
      const launched = Math.max(st.launchTime ?? 0, r.wakeStartedAt ?? 0);
      const stopAfter = Math.max((r.lastUseAt ?? 0) + this.settings.idleMs, launched + this.settings.bootGraceMs, launched + this.settings.idleMs);
      return {
        ...base,
        state: st.state,
        launchTime: st.launchTime ? new Date(st.launchTime).toISOString() : null,
        idleStopAfter: st.state === "running" ? new Date(stopAfter).toISOString() : null,
      };
    } catch (e) {
      if (!(e instanceof Ec2Error)) throw e;
      return { ...base, state: "unknown", launchTime: null, idleStopAfter: null, error: { code: e.code, message: e.message } };
    }
  }

  private async doWake(): Promise<WakeResult> {
    await this.load();
    if (!this.ec2) return { state: "running", started: false };
    // Recorded first: the idle stop never takes down an instance a request is waiting for.
    const now = this.now();
    this.record.lastUseAt = Math.max(this.record.lastUseAt ?? 0, now);
    await this.save();
    const deadline = now + this.settings.wakeWaitMs;
    let st = await this.observe();
    // Caught mid-stop (the cron, or an operator): EC2 refuses a start until the instance has stopped.
    while (st.state === "stopping" && this.now() < deadline) {
      await this.sleep(this.pollMs());
      st = await this.observe();
    }
    if (st.state === "terminated" || st.state === "shutting-down") {
      throw new Ec2Error(409, "InstanceTerminated", `The origin instance is ${st.state}; it cannot be started.`);
    }
    if (st.state !== "stopped") return { state: st.state, started: false };
    const t = await this.ec2.start();
    this.record.wakeStartedAt = this.now();
    this.record.starts++;
    this.remember(t.current ?? "pending", null);
    await this.save();
    return { state: t.current ?? "pending", started: true };
  }

  private async stopNow(why: string): Promise<IdleResult> {
    try {
      const t = await this.ec2!.stop();
      this.record.stops++;
      this.record.stoppedAt = this.now();
      this.remember(t.current ?? "stopping", null);
      await this.save();
      return { stopped: true, reason: why, state: t.current };
    } catch (e) {
      // Already on its way somewhere (pending, stopping): the next run decides again.
      if (e instanceof Ec2Error && e.code === "IncorrectInstanceState") return { stopped: false, reason: "instance is changing state", state: null };
      throw e;
    }
  }

  private async observe() {
    const st = await this.ec2!.describe();
    this.remember(st.state, st.launchTime);
    return st;
  }

  private remember(state: InstanceStateName, launchTime: number | null): void {
    this.record.known = { state, at: this.now(), launchTime: launchTime ?? this.record.known?.launchTime ?? null };
  }

  private pollMs(): number {
    return Math.min(2000, Math.max(50, this.settings.wakeWaitMs / 40));
  }

  private load(): Promise<void> {
    this.loaded ??= this.store.load().then((r) => {
      if (r) this.record = { ...EMPTY, ...r };
    });
    return this.loaded;
  }

  private save(): Promise<void> {
    return this.store.save({ ...this.record });
  }
}
