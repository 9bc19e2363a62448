import type { Services } from "../services.ts";
import { logEvent } from "../util/log.ts";

/**
 * The Cron Trigger (every 5 minutes): stop the origin when nothing has used it for ORIGIN_IDLE_MINUTES. The Worker
 * sees every request the origin serves, so this is the exact signal (no CPU or network heuristics). Running video
 * jobs do not keep it up: Bedrock writes the video to S3 either way, and the job is settled when next read.
 */
export async function runScheduled(services: Services, cron: string): Promise<void> {
  const origin = services.origin;
  if (!origin?.config.instanceId) return;
  try {
    const r = await origin.state.idleCheck();
    logEvent("info", { msg: "origin idle check", cron, stopped: r.stopped, reason: r.reason, instanceState: r.state });
  } catch (e) {
    logEvent("error", { msg: "origin idle check failed", cron, error: e });
    throw e;
  }
}
