// Bedrock's asynchronous invoke (BEDROCK_WIRE §6): StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes for the
// video models. A job is InProgress for a few seconds, then Completed (output.mp4 written into the local bucket
// folder at <s3Uri><invocation id>/output.mp4, as Nova lays it out) or Failed. What the next jobs do is scriptable
// (`script`), and so is the default duration. Nova Reel answers only in us-east-1 and Ray2 only in us-west-2.
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AwsError, validation } from "./errors.ts";

export interface AsyncJobScript {
  /** What the job ends as; default Completed. */
  outcome?: "Completed" | "Failed";
  /** How long it stays InProgress; default the emulator's setting. */
  durationMs?: number;
  failureMessage?: string;
  /** Refuse the StartAsyncInvoke call itself with this AWS error. */
  http?: { status: number; errorType: string; message: string };
}

export interface AsyncInvocation {
  invocationArn: string;
  modelId: string;
  region: string;
  modelInput: unknown;
  s3Uri: string;
  clientRequestToken: string;
  submitTime: number;
  endAt: number;
  outcome: "Completed" | "Failed";
  failureMessage?: string;
  status: "InProgress" | "Completed" | "Failed";
  endTime?: number;
}

const MODEL_REGIONS: Record<string, string[]> = {
  "amazon.nova-reel-v1:1": ["us-east-1"],
  "amazon.nova-reel-v1:0": ["us-east-1", "eu-west-1", "ap-northeast-1"],
  "luma.ray-v2:0": ["us-west-2"],
};
const ACCOUNT = "123456789012";

/** A few bytes shaped like an MP4 (an ftyp box), different for each job. */
export function fakeMp4(invocationId: string): Buffer {
  const ftyp = Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypmp42"), 0, 0, 0, 0, ...Buffer.from("mp42isom")]);
  return Buffer.concat([ftyp, Buffer.from(`breakwater emulator video ${invocationId}\n`)]);
}

export class AsyncInvokes {
  readonly jobs = new Map<string, AsyncInvocation>();
  private readonly queue: AsyncJobScript[] = [];
  settings = { durationMs: 2000 };

  constructor(readonly bucketDir: string) {}

  script(s: AsyncJobScript | AsyncJobScript[]): void {
    for (const one of Array.isArray(s) ? s : [s]) this.queue.push(one);
  }

  reset(): void {
    this.jobs.clear();
    this.queue.length = 0;
  }

  /** POST /async-invoke */
  start(body: unknown, region: string): { invocationArn: string } {
    if (typeof body !== "object" || body === null) throw validation("Malformed input request, please reformat your input and try again.");
    const b = body as { modelId?: unknown; modelInput?: unknown; outputDataConfig?: { s3OutputDataConfig?: { s3Uri?: unknown } }; clientRequestToken?: unknown };
    if (typeof b.modelId !== "string" || !MODEL_REGIONS[b.modelId]) throw validation("The provided model identifier is invalid.");
    if (!MODEL_REGIONS[b.modelId]!.includes(region)) throw validation(`The provided model identifier is invalid. ${b.modelId} is not available in ${region}.`);
    const s3Uri = b.outputDataConfig?.s3OutputDataConfig?.s3Uri;
    if (typeof s3Uri !== "string" || !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(s3Uri)) throw validation("outputDataConfig.s3OutputDataConfig.s3Uri must be an s3:// URI.");
    checkModelInput(b.modelId, b.modelInput);
    const token = typeof b.clientRequestToken === "string" ? b.clientRequestToken : randomUUID();
    // The token makes the call idempotent: the same token answers the same invocation.
    for (const job of this.jobs.values()) if (job.clientRequestToken === token) return { invocationArn: job.invocationArn };
    const script = this.queue.shift() ?? {};
    if (script.http) throw new AwsError(script.http.status, script.http.errorType, script.http.message);
    const id = randomUUID().replace(/-/g, "").slice(0, 12);
    const invocationArn = `arn:aws:bedrock:${region}:${ACCOUNT}:async-invoke/${id}`;
    const now = Date.now();
    this.jobs.set(invocationArn, {
      invocationArn, modelId: b.modelId, region, modelInput: b.modelInput, s3Uri: s3Uri.endsWith("/") ? s3Uri : `${s3Uri}/`,
      clientRequestToken: token, submitTime: now, endAt: now + (script.durationMs ?? this.settings.durationMs),
      outcome: script.outcome ?? "Completed", failureMessage: script.failureMessage, status: "InProgress",
    });
    return { invocationArn };
  }

  /** GET /async-invoke/{arn} */
  get(arn: string): Record<string, unknown> {
    const job = this.jobs.get(arn);
    if (!job) throw new AwsError(404, "ResourceNotFoundException", "The specified invocation ARN does not exist.");
    return this.view(this.advance(job));
  }

  /** GET /async-invoke?statusEquals=&maxResults=&sortOrder= */
  list(query: URLSearchParams): Record<string, unknown> {
    const status = query.get("statusEquals");
    const max = Math.min(1000, Number(query.get("maxResults") ?? "1000") || 1000);
    const asc = query.get("sortOrder") === "Ascending";
    const all = [...this.jobs.values()].map((j) => this.advance(j)).filter((j) => !status || j.status === status);
    all.sort((a, b) => (asc ? a.submitTime - b.submitTime : b.submitTime - a.submitTime));
    return { asyncInvokeSummaries: all.slice(0, max).map((j) => this.view(j)) };
  }

  private advance(job: AsyncInvocation): AsyncInvocation {
    if (job.status !== "InProgress" || Date.now() < job.endAt) return job;
    job.status = job.outcome;
    job.endTime = job.endAt;
    if (job.outcome === "Completed") {
      const path = this.objectPath(job);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, fakeMp4(job.invocationArn.split("/").pop()!));
    }
    return job;
  }

  /** Where the job's output.mp4 lives in the local bucket folder. */
  objectPath(job: AsyncInvocation): string {
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(job.s3Uri)!;
    return join(this.bucketDir, m[1]!, ...`${m[2]}${job.invocationArn.split("/").pop()}/output.mp4`.split("/").filter(Boolean));
  }

  private view(job: AsyncInvocation): Record<string, unknown> {
    return {
      invocationArn: job.invocationArn,
      modelArn: `arn:aws:bedrock:${job.region}::foundation-model/${job.modelId}`,
      clientRequestToken: job.clientRequestToken,
      status: job.status,
      ...(job.status === "Failed" ? { failureMessage: job.failureMessage ?? "Internal error while generating the video." } : {}),
      submitTime: new Date(job.submitTime).toISOString(),
      lastModifiedTime: new Date(job.endTime ?? job.submitTime).toISOString(),
      ...(job.endTime ? { endTime: new Date(job.endTime).toISOString() } : {}),
      outputDataConfig: { s3OutputDataConfig: { s3Uri: job.s3Uri } },
    };
  }
}

/** The model input checks Bedrock makes before it accepts a job (the shapes in BEDROCK_WIRE §6.2–6.3). */
function checkModelInput(modelId: string, input: unknown): void {
  if (typeof input !== "object" || input === null) throw validation("modelInput is required.");
  const m = input as Record<string, unknown>;
  if (modelId.startsWith("luma.")) {
    if (typeof m.prompt !== "string" || m.prompt.length < 1 || m.prompt.length > 5000) throw validation("prompt: length must be between 1 and 5000.");
    if (m.duration !== undefined && m.duration !== "5s" && m.duration !== "9s") throw validation("duration must be one of 5s, 9s.");
    if (m.resolution !== undefined && m.resolution !== "540p" && m.resolution !== "720p") throw validation("resolution must be one of 540p, 720p.");
    return;
  }
  const cfg = m.videoGenerationConfig as Record<string, unknown> | undefined;
  if (!cfg || cfg.dimension !== "1280x720" || cfg.fps !== 24) throw validation("videoGenerationConfig: dimension must be 1280x720 and fps 24.");
  const d = cfg.durationSeconds;
  if (m.taskType === "TEXT_VIDEO") {
    if (typeof d !== "number" || d < 6 || d > 120 || d % 6 !== 0) throw validation("durationSeconds must be a multiple of 6 from 6 to 120.");
  } else if (m.taskType === "MULTI_SHOT_AUTOMATED") {
    if (typeof d !== "number" || d < 12 || d > 120 || d % 6 !== 0) throw validation("durationSeconds must be a multiple of 6 from 12 to 120.");
  } else if (m.taskType === "MULTI_SHOT_MANUAL") {
    const shots = (m.multiShotManualParams as { shots?: unknown[] } | undefined)?.shots;
    if (!Array.isArray(shots) || shots.length < 2 || shots.length > 20) throw validation("multiShotManualParams.shots must hold 2 to 20 shots.");
  } else {
    throw validation("taskType must be TEXT_VIDEO, MULTI_SHOT_AUTOMATED or MULTI_SHOT_MANUAL.");
  }
}
