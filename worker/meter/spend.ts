import type { SpendRow } from "../db/queries.ts";

export type SpendWriter = (rows: SpendRow[]) => Promise<void>;
export type Defer = (p: Promise<unknown>) => void;

/**
 * Collects spend records and writes them after the response, in batches: rows recorded while a write is pending
 * join it, so a burst of requests in one isolate costs one database statement. A failed write is retried with
 * backoff and the rows are kept for the next batch, never dropped.
 */
export class SpendRecorder {
  private pending: SpendRow[] = [];
  private scheduled = false;
  /** The batch write scheduled last (resolved once it wrote, or, out of retries, kept its rows for the next). */
  private batch: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: SpendWriter,
    private readonly delayMs: number,
    private readonly onError: (err: unknown, rows: number) => void = () => {},
    private readonly retryDelaysMs: readonly number[] = [100, 500, 2000],
  ) {}

  /** Queue one row; `defer` keeps the runtime alive until the batch it joined has been written. */
  record(row: SpendRow, defer: Defer): void {
    this.pending.push(row);
    if (!this.scheduled) defer(this.schedule());
  }

  /** Queue several rows; resolves when the batch they joined has been written or, out of retries, kept for the next. */
  recordAll(rows: SpendRow[]): Promise<void> {
    this.pending.push(...rows);
    return this.scheduled ? this.batch : this.schedule();
  }

  /**
   * One attempt to write `rows` now, outside the queue: for a caller that has a better place than this isolate's
   * memory to keep them should it fail (the lease meter hands them to the key's Durable Object).
   */
  writeOnce(rows: SpendRow[]): Promise<void> {
    return this.write(rows);
  }

  /** Rows not yet written (for tests and shutdown). */
  get backlog(): number {
    return this.pending.length;
  }

  /** Write everything pending now. */
  async flush(): Promise<void> {
    this.scheduled = false;
    const rows = this.pending;
    if (rows.length === 0) return;
    this.pending = [];
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(rows);
        return;
      } catch (err) {
        const wait = this.retryDelaysMs[attempt];
        if (wait === undefined) {
          // Out of retries for this window: put the rows back in front so the next batch carries them.
          this.pending = rows.concat(this.pending);
          this.onError(err, rows.length);
          return;
        }
        await sleep(wait);
      }
    }
  }

  private schedule(): Promise<void> {
    this.scheduled = true;
    // With no delay the flush starts (and clears `scheduled`) inside this call, before `batch` is assigned.
    this.batch = this.flushAfter(this.delayMs);
    return this.batch;
  }

  private async flushAfter(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms);
    await this.flush();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
