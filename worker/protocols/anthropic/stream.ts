// InvokeModelWithResponseStream body (AWS event-stream frames) → Anthropic Messages SSE, chunk by chunk.
// Each `chunk` frame carries one Anthropic stream event, base64-encoded (BEDROCK_WIRE.md §2.3, §3.4); it is
// re-emitted as `event: <type>\ndata: <json>\n\n` as soon as its frame is complete. Memory stays bounded by one
// frame, however long the response.
//
// End-of-stream accounting: `onEnd` fires exactly once, whichever way the stream ends —
//   * flush (upstream body finished),
//   * an exception/error frame or undecodable bytes (after the SSE `error` event is sent),
//   * cancellation: the client went away (readable cancelled) or the upstream body failed (writable aborted).
// Cancellation is observed through the Streams `transformer.cancel` hook (Node ≥ 20.x, Deno, workerd all
// have it). Where a runtime lacks the hook — detected once, synchronously — the readable side is wrapped in a
// ReadableStream whose own `cancel` reports the disconnect, so accounting never depends on the hook.

import { EventStreamDecoder, decodeBase64Utf8, type EventStreamFrame } from "../../bedrock/eventstream.ts";
import { bedrockErrorFromFrame, toAnthropicError, type BedrockError } from "../../bedrock/errors.ts";
import { UsageTracker, type AnthropicUsage } from "./usage.ts";

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
const utf8 = new TextDecoder("utf-8");

export function bedrockToAnthropicSSE(opts: AnthropicSSEOptions): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new EventStreamDecoder();
  const usage = new UsageTracker();
  const encoder = new TextEncoder();
  let stopReason: string | null = null;
  let completed = false;
  let failure: BedrockError | null = null; // set once an error event has been emitted; no output after it
  let ended = false;

  const end = (): void => {
    if (ended) return;
    ended = true;
    try {
      opts.onEnd({ usage: usage.usage, stopReason, error: failure, completed });
    } catch (err) {
      // Accounting must never break a response the client has already received.
      console.error("bedrockToAnthropicSSE: onEnd threw", err);
    }
  };

  /** One event frame → its SSE text ("" to skip). Throws a BedrockError-shaped failure on undecodable chunks. */
  const translateChunk = (frame: EventStreamFrame): string => {
    let raw: string;
    let event: unknown;
    try {
      const payload: unknown = JSON.parse(utf8.decode(frame.payload));
      if (!isRecord(payload) || typeof payload.bytes !== "string") return ""; // nothing to relay; `p` is padding
      raw = decodeBase64Utf8(payload.bytes);
      event = JSON.parse(raw);
    } catch (err) {
      throw streamFailure(`Bedrock stream chunk could not be decoded: ${messageOf(err)}`);
    }
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

  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel?: (reason: unknown) => void } = {
    transform(chunk, controller) {
      if (failure) return;
      let out = "";
      try {
        decoder.feed(chunk, (frame) => {
          if (failure) return; // nothing may follow an error event
          const messageType = frame.headers[":message-type"];
          if (messageType === "event") {
            // Unknown event types are skipped, as the AWS SDK does.
            if (frame.headers[":event-type"] === "chunk") out += translateChunk(frame);
            return;
          }
          failure = bedrockErrorFromFrame(frame);
          out += errorEvent(failure);
        });
      } catch (err) {
        if (!failure) {
          failure = isBedrockError(err) ? err : streamFailure(`Bedrock response stream is corrupt: ${messageOf(err)}`);
          out += errorEvent(failure);
        }
      }
      // Everything decoded from one network read goes out in one write.
      if (out) controller.enqueue(encoder.encode(out));
      if (failure) {
        end();
        // Closes the readable for the client and errors the writable, which cancels the upstream body.
        controller.terminate();
      }
    },

    flush(controller) {
      if (failure) return end();
      try {
        decoder.finish();
        if (!completed) failure = streamFailure("Bedrock response stream ended before message_stop");
      } catch (err) {
        failure = streamFailure(`Bedrock response stream is corrupt: ${messageOf(err)}`);
      }
      if (failure) controller.enqueue(encoder.encode(errorEvent(failure)));
      end();
    },

    cancel() {
      end();
    },
  };

  const stream = new TransformStream<Uint8Array, Uint8Array>(transformer);
  return transformerCancelSupported() ? stream : reportReadableCancel(stream, end);
}

/** A failure of our own making (not a Bedrock error); maps to 500 api_error. */
function streamFailure(message: string): BedrockError {
  return { name: "StreamDecodeError", message, status: 502 };
}

function isBedrockError(v: unknown): v is BedrockError {
  return isRecord(v) && typeof v.name === "string" && typeof v.message === "string" && typeof v.status === "number";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let cancelHookSupported: boolean | undefined;

/** Whether this runtime calls `transformer.cancel` when the readable side is cancelled (checked once). */
function transformerCancelSupported(): boolean {
  if (cancelHookSupported === undefined) {
    let called = false;
    try {
      const probe = new TransformStream({ cancel: () => void (called = true) } as Transformer);
      probe.readable.cancel().catch(() => {});
    } catch {
      called = false;
    }
    cancelHookSupported = called;
  }
  return cancelHookSupported;
}

/**
 * Fallback for runtimes without `transformer.cancel`: re-exposes `stream.readable` through a ReadableStream that
 * calls `onGone` when the consumer cancels it or the inner readable errors (upstream aborted). Costs one extra
 * promise hop per chunk, which is why it is only used where needed.
 */
export function reportReadableCancel<I, O>(stream: TransformStream<I, O>, onGone: () => void): TransformStream<I, O> {
  const reader = stream.readable.getReader();
  const readable = new ReadableStream<O>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<O>;
        try {
          result = await reader.read();
        } catch (err) {
          onGone();
          controller.error(err);
          return;
        }
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel(reason) {
        onGone();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { readable, writable: stream.writable } as TransformStream<I, O>;
}
