// InvokeModelWithResponseStream body (AWS event-stream frames) → Anthropic Messages SSE, chunk by chunk.
// Each `chunk` frame carries one Anthropic stream event, base64-encoded (BEDROCK_WIRE.md §2.3, §3.4); it is
// re-emitted as `event: <type>\ndata: <json>\n\n` as soon as its frame is complete. Memory stays bounded by one
// frame, however long the response.
//
// Stream plumbing (decoding, the one terminal error, onEnd exactly once, cancellation) is frameTranscoder's; this
// file holds only the Anthropic translation.

import type { EventStreamFrame } from "../../bedrock/eventstream.ts";
import { toAnthropicError, type BedrockError } from "../../bedrock/errors.ts";
import { frameTranscoder, type TranscoderStream, invokeChunkEvent, streamFailure } from "../../bedrock/frame-transcoder.ts";
import { UsageTracker, type AnthropicUsage } from "./usage.ts";

// Kept importable from here, where it first lived.
export { reportReadableCancel } from "../../bedrock/frame-transcoder.ts";

export interface StreamEndReport {
  usage: AnthropicUsage;
  /** From the last message_delta; null when none arrived. */
  stopReason: string | null;
  /** The upstream or decoding failure that ended the stream, if any (null on success and on cancellation). */
  error: BedrockError | null;
  /** True only if message_stop was seen. */
  completed: boolean;
}

export interface AnthropicSSEOptions {
  /** The model name the client sent; replaces the backend's name in message_start. */
  requestedModel: string;
  /** Called exactly once, however the stream ends: flush, in-stream failure, or cancellation (either side). */
  onEnd: (report: StreamEndReport) => void;
}

/** One SSE event in the Anthropic wire format. */
export function sseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function errorEvent(e: BedrockError): string {
  const mapped = toAnthropicError(e);
  return sseEvent("error", { type: "error", error: { type: mapped.type, message: mapped.message } });
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const METRICS_KEY = "amazon-bedrock-invocationMetrics";

export function bedrockToAnthropicSSE(opts: AnthropicSSEOptions): TranscoderStream {
  const usage = new UsageTracker();
  let stopReason: string | null = null;
  let completed = false;

  /** One `chunk` frame → its SSE text ("" to skip). Throws a StreamDecodeError on undecodable chunks. */
  const translateChunk = (frame: EventStreamFrame): string => {
    const chunk = invokeChunkEvent(frame);
    if (!chunk) return "";
    const { raw, event } = chunk;
    if (!isRecord(event) || typeof event.type !== "string" || /[\r\n]/.test(event.type)) return "";
    usage.observe(event);

    switch (event.type) {
      case "message_start": {
        const message = isRecord(event.message) ? { ...event.message, model: opts.requestedModel } : event.message;
        return sseEvent(event.type, { ...event, message });
      }
      case "message_delta": {
        const delta = event.delta;
        if (isRecord(delta) && typeof delta.stop_reason === "string") stopReason = delta.stop_reason;
        break;
      }
      case "message_stop": {
        completed = true;
        if (METRICS_KEY in event) {
          const { [METRICS_KEY]: _metrics, ...rest } = event;
          return sseEvent(event.type, rest);
        }
        break;
      }
    }
    // Unmodified events go out as Bedrock wrote them (no re-serialisation), unless the JSON text spans lines,
    // which an SSE data field cannot carry.
    return /[\r\n]/.test(raw) ? sseEvent(event.type, event) : `event: ${event.type}\ndata: ${raw}\n\n`;
  };

  // Frames after message_stop are still relayed (the stream runs to the body's end), so there is no done().
  return frameTranscoder("bedrockToAnthropicSSE", {
    // Unknown event types are skipped, as the AWS SDK does.
    onEvent: (eventType, frame) => (eventType === "chunk" ? translateChunk(frame) : ""),
    onError: errorEvent,
    onUpstreamEnd: () => (completed ? "" : streamFailure("Bedrock response stream ended before message_stop")),
    onEnd: (error) => opts.onEnd({ usage: usage.usage, stopReason, error, completed }),
  });
}
