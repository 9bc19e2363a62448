/**
 * Brings a job's row up to date with Bedrock: on every read of a running job, and in the background for all of
 * them while the sidecar is up (so a job that finished while the origin was stopped is settled after the next
 * wake, read or not). Completion is the conditional claim in JobStore.complete: safe to run from two sidecars.
 */
import { BedrockAsync, BedrockAsyncError } from "./bedrock-async.ts";
import type { SidecarConfig } from "./config.ts";
import type { JobRow, JobStore } from "./jobs.ts";
import { log } from "./log.ts";

/** A `pending` row this old belongs to a submit that never finished (the sidecar stopped mid-call). */
const STALE_PENDING_SECONDS = 300;

export class JobSettler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly bedrock: BedrockAsync,
    private readonly config: SidecarConfig,
  ) {}

  /** The row after asking Bedrock (unchanged when Bedrock could not be asked). */
  async settle(row: JobRow): Promise<JobRow> {
    if (row.status !== "in_progress" || !row.invocation_arn) return row;
    let status;
    try {
      status = await this.bedrock.get(row.region, row.invocation_arn);
    } catch (e) {
      log("warn", { msg: "video job poll failed", job: row.id, error: e instanceof BedrockAsyncError ? e.errorType : String(e) });
      return row;
    }
    if (status.status === "Completed") {
      const won = await this.store.complete(row.id, outputKey(row));
      if (won) log("info", { msg: "video job completed", job: row.id, model: row.model, cost: Number(row.cost) });
    } else if (status.status === "Failed") {
      // Bedrock's reason is the caller's own (a content filter, a bad frame); it carries nothing of ours.
      const reason = status.failureMessage ? `Video generation failed: ${status.failureMessage}` : "Video generation failed";
      if (await this.store.markFailed(row.id, reason.slice(0, 1000), "in_progress")) log("info", { msg: "video job failed", job: row.id });
    } else {
      await this.store.touch(row.id);
      return row;
    }
    return (await this.store.get(row.id, row.key_id ?? "")) ?? row;
  }

  /** One pass over every running job, and the interrupted submits. */
  async pollOnce(): Promise<void> {
    for (const row of await this.store.inProgress(50)) {
      if (this.stopped) return;
      await this.settle(row);
    }
    for (const row of await this.store.stalePending(STALE_PENDING_SECONDS)) {
      await this.store.markFailed(row.id, "The job's submission was interrupted before Bedrock answered; it was not charged.", "pending");
    }
  }

  /** Polls now (a restart or a wake settles what finished meanwhile) and then every pollIntervalMs. */
  start(): void {
    const tick = () => {
      this.running = this.pollOnce()
        .catch((e: unknown) => log("warn", { msg: "video poll pass failed", error: String(e) }))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.config.pollIntervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/** Nova's layout: <s3Uri><invocation id>/output.mp4, as an S3 key (BEDROCK_WIRE §6.4). */
export function outputKey(row: Pick<JobRow, "s3_uri" | "invocation_arn">): string {
  const prefix = row.s3_uri.replace(/^s3:\/\/[^/]+\/?/, "");
  const invocationId = (row.invocation_arn ?? "").split("/").pop();
  return `${prefix}${prefix && !prefix.endsWith("/") ? "/" : ""}${invocationId}/output.mp4`;
}

export function bucketOf(s3Uri: string): string {
  return /^s3:\/\/([^/]+)/.exec(s3Uri)?.[1] ?? "";
}
