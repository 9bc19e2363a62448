// Isolates sharing one key's meter, for the lease tests: each isolate is a LeasedMeter over the in-process meter,
// which runs the same KeyState code as the key's Durable Object. The clock is the test's; the object's calls are
// counted (how often an isolate had to go back to it), its lease reports and reports of running requests recorded
// with the time they arrived, and the spend rows written to Postgres kept.
import type { SpendRow } from "../../worker/db/queries.ts";
import { InProcessMeter } from "../../worker/meter/in-process.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import type { AdmitRequest, LeaseSettleRequest, TouchRequest } from "../../worker/meter/meter.ts";
import { SpendRecorder } from "../../worker/meter/spend.ts";

export function meterWorld(start: number, flushDelayMs = 0) {
  let now = start;
  const clock = () => now;
  const written: SpendRow[] = [];
  const recorder = new SpendRecorder(async (rows) => void written.push(...rows), 0);
  const store = new InProcessMeter(recorder, async () => {}, clock);
  let calls = 0;
  let admits = 0;
  /** Every lease report the object received, in order, with the world's time when it arrived. */
  const reports: Array<LeaseSettleRequest & { at: number }> = [];
  /** Every report of a running request the object admitted by itself, with the world's time when it arrived. */
  const touches: Array<TouchRequest & { at: number }> = [];
  const counted = {
    admit: (r: AdmitRequest) => (calls++, admits++, store.admit(r)),
    settle: store.settle.bind(store),
    settleLease: (r: LeaseSettleRequest) => (calls++, reports.push({ ...r, at: now }), store.settleLease(r)),
    keyChanged: store.keyChanged.bind(store),
    keepRows: store.keepRows.bind(store),
    touch: (r: TouchRequest) => (calls++, touches.push({ ...r, at: now }), store.touch(r)),
  };
  /** An isolate; `sleep` is its timers (the default: real ones). */
  const isolate = (sleep?: (ms: number) => Promise<void>) => new LeasedMeter(counted, recorder, { flushDelayMs, now: clock, sleep });
  /** A sleep on the world's clock: the time passes at once. */
  const sleep = async (ms: number) => void (now += ms);
  const advance = (ms: number) => (now += ms);
  return { isolate, sleep, clock, advance, written, calls: () => calls, admits: () => admits, reports, touches, store };
}

/**
 * Timers on a world's clock that fire, in order, as the test advances it with `advance` (an isolate's lapse reports
 * and its reports while requests run), each timer's consequences (a report to the object) run before time moves on.
 */
export function worldTimers(w: { clock: () => number; advance: (ms: number) => number }) {
  const pending: { due: number; fire: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((fire) => void pending.push({ due: w.clock() + ms, fire }));
  const advance = async (ms: number) => {
    const target = w.clock() + ms;
    for (;;) {
      pending.sort((a, b) => a.due - b.due);
      const next = pending[0];
      if (!next || next.due > target) break;
      pending.shift();
      w.advance(Math.max(0, next.due - w.clock()));
      next.fire();
      await new Promise((r) => setImmediate(r));
    }
    w.advance(target - w.clock());
  };
  return { sleep, advance };
}
