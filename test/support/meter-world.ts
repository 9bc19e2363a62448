// Isolates sharing one key's meter, for the lease tests: each isolate is a LeasedMeter over the in-process meter,
// which runs the same KeyState code as the key's Durable Object. The clock is the test's, and the object's admits
// are counted (how often an isolate had to go back to it).
import { InProcessMeter } from "../../worker/meter/in-process.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import type { AdmitRequest } from "../../worker/meter/meter.ts";
import { SpendRecorder } from "../../worker/meter/spend.ts";

export function meterWorld(start: number, flushDelayMs = 0) {
  let now = start;
  const clock = () => now;
  const recorder = new SpendRecorder(async () => {}, 0);
  const store = new InProcessMeter(recorder, async () => {}, clock);
  let admits = 0;
  const counted = {
    admit: (r: AdmitRequest) => (admits++, store.admit(r)),
    settle: store.settle.bind(store),
    // Looked up per call, so a test may wrap the store's to watch the reports.
    settleLease: (r: Parameters<InProcessMeter["settleLease"]>[0]) => store.settleLease(r),
    keyChanged: store.keyChanged.bind(store),
    keepRows: store.keepRows.bind(store),
  };
  /** An isolate; `sleep` is its timers (the default: real ones). */
  const isolate = (sleep?: (ms: number) => Promise<void>) => new LeasedMeter(counted, recorder, flushDelayMs, clock, sleep);
  return { isolate, clock, advance: (ms: number) => (now += ms), admits: () => admits, store };
}
