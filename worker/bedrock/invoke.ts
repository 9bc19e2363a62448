import type { BedrockOperation } from "./client.ts";
import { bedrockErrorFromFrame, readBedrockHttpError, type BedrockError } from "./errors.ts";
import { peekFirstFrame } from "./peek.ts";
import { parseRejections, withoutRejected, type RejectionMemory } from "./rejections.ts";
import type { Target } from "./targets.ts";

export type InvokeOutcome =
  | { ok: true; res: Response; body: ReadableStream<Uint8Array> | null; target: Target }
  | { ok: false; error: BedrockError; target: Target | null; unreachable?: boolean };

export interface InvokeOptions {
  targets: Target[];
  op: BedrockOperation;
  body: Record<string, unknown>;
  /** Key under which rejections are remembered (the base model id). */
  modelKey: string;
  memory: RejectionMemory;
  onRetry?: (why: string) => void;
  /** Extra Bedrock request headers (e.g. a Guardrail for InvokeModel); signed along with the rest. */
  headers?: Record<string, string>;
  /** Backoff before trying target i (i ≥ 1); injectable for tests. */
  backoffMs?: (attempt: number) => number;
}

// Before the first byte reaches the client these are worth another target; anything else is the caller's answer.
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_FRAME = new Set(["throttlingException", "serviceUnavailableException", "internalServerException", "ThrottlingException", "ServiceUnavailableException", "InternalServerException"]);

const MAX_RELEARN = 3;

export const defaultBackoff = (attempt: number) => Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

/**
 * One logical Bedrock call: sends the body (minus what Bedrock is known to refuse for this model), learns from a
 * validation error that names a beta flag or field and retries once without it, and fails over to the next target
 * on throttling or server errors before any byte has been streamed to the client.
 */
export async function invokeWithFailover(o: InvokeOptions): Promise<InvokeOutcome> {
  const backoff = o.backoffMs ?? defaultBackoff;
  let body = withoutRejected(o.body, o.memory.known(o.modelKey)).body;
  let relearned = 0;
  let last: InvokeOutcome = { ok: false, error: { name: "ServiceUnavailableException", message: "No Bedrock target is configured.", status: 503 }, target: null };

  for (let i = 0; i < o.targets.length; i++) {
    const target = o.targets[i]!;
    if (i > 0) await sleep(backoff(i));
    const outcome = await attempt(target, o.op, body);
    if (outcome.ok) return outcome;

    // A validation error naming something we can drop: remember it, drop it, and try the same target again. Bedrock
    // names one problem at a time, so a release that adds two new fields takes two rounds; bounded all the same.
    if (relearned < MAX_RELEARN && outcome.error.status === 400) {
      const rejected = parseRejections(outcome.error.message);
      const retry = withoutRejected(body, rejected);
      if (retry.changed) {
        relearned++;
        o.memory.remember(o.modelKey, rejected);
        o.onRetry?.(`Bedrock refused ${rejected.map((r) => (r.kind === "beta" ? r.flag : r.kind === "field" ? r.path : `tools[].${r.key}`)).join(", ")}; retrying without it`);
        body = retry.body;
        i--;
        continue;
      }
    }
    last = outcome;
    const retryable = outcome.unreachable || RETRYABLE_STATUS.has(outcome.error.status);
    if (!retryable) return outcome;
    if (i < o.targets.length - 1) o.onRetry?.(`${target.name} answered ${outcome.error.name}; failing over`);
  }
  return last;

  async function attempt(target: Target, op: BedrockOperation, b: Record<string, unknown>): Promise<InvokeOutcome> {
    let res: Response;
    try {
      res = await target.client.call(target.modelId, op, JSON.stringify(b), o.headers);
    } catch (err) {
      return { ok: false, error: { name: "NetworkError", message: "The model service could not be reached.", status: 502 }, target, unreachable: true };
    }
    if (!res.ok) return { ok: false, error: await readBedrockHttpError(res), target };
    if (!op.endsWith("stream") || !res.body || o.targets.length < 2) return { ok: true, res, body: res.body, target };
    // With somewhere else to go, look at the first frame: an exception there has cost the client nothing yet.
    const { first, stream } = await peekFirstFrame(res.body);
    const type = first?.headers[":message-type"] === "exception" ? String(first.headers[":exception-type"]) : null;
    if (first && type && RETRYABLE_FRAME.has(type)) {
      await stream.cancel().catch(() => {});
      return { ok: false, error: bedrockErrorFromFrame(first), target };
    }
    return { ok: true, res, body: stream, target };
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
