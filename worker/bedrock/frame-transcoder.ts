// The stream plumbing shared by every Bedrock event-stream → client SSE transcoder (Anthropic SSE, OpenAI chunks
// from InvokeModel, OpenAI chunks from ConverseStream). A transcoder supplies only its translation; this module
// owns the rules every one of them must keep identically:
//   * bytes go through one EventStreamDecoder; each `event` frame goes to `onEvent`, anything else (an exception
//     or error frame) is a terminal failure;
//   * exactly one failure is reported — an exception/error frame, an undecodable payload, corrupt or truncated
//     bytes, or an upstream body that ends too early — as `onError` text, after which nothing more is sent;
//   * everything decoded from one network read goes out in one write;
//   * after a failure, or once the transcoder says it is done (e.g. after [DONE]), the stream terminates: the
//     client's readable closes and the upstream body is cancelled;
//   * `onEnd` fires exactly once, however the stream ends: flush, failure, done, the client going away (readable
//     cancelled) or the upstream body failing (writable aborted). A throwing `onEnd` is logged, never rethrown —
//     accounting must not break a response the client already has.
// Cancellation is observed through the Streams `transformer.cancel` hook (Node ≥ 20.x, Deno, workerd all have
// it). Where a runtime lacks the hook — detected once, synchronously — the readable side is wrapped in a
// ReadableStream whose own `cancel` reports the disconnect. Neither is enough alone: whether a runtime runs the
// hook when the *writable* side is aborted (an upstream body failing), or cancels the response body at all when
// the client disconnects, differs between runtimes. So the stream also has `end()`, which the pipeline's
// settle-once guard calls on every other sign that the stream is over (routes/stream-guard.ts).

import { EventStreamDecoder, decodeBase64Utf8, type EventStreamFrame } from "./eventstream.ts";
import { bedrockErrorFromFrame, type BedrockError } from "./errors.ts";
import { relayReader } from "../util/relay-reader.ts";

export interface FrameTranscoder {
  /**
   * Text for one `event` frame whose `:event-type` is `eventType` ("" when nothing is due; unknown types should
   * be skipped, as the AWS SDK does). Throw a BedrockError (see streamFailure) for a payload that cannot be
   * decoded: it becomes the stream's one failure.
   */
  onEvent(eventType: string, frame: EventStreamFrame): string;
  /** Text for the one terminal failure. Nothing is sent after it. */
  onError(error: BedrockError): string;
  /**
   * True once nothing more may be sent (e.g. [DONE] went out): the stream terminates after the current read,
   * skipping every later frame and cancelling the upstream body. Absent: the stream runs until the body ends.
   */
  done?(): boolean;
  /**
   * The upstream body ended, every byte decoded, without a failure and before done(): the text that ends the
   * answer properly ("" for none), or the failure to report when the answer is incomplete.
   */
  onUpstreamEnd(): string | BedrockError;
  /** Called exactly once. `error` is the failure that ended the stream; null on success and on cancellation. */
  onEnd(error: BedrockError | null): void;
}

/** A transcoder's stream, plus `end()`: fire `onEnd` now (once) with what was seen so far, from outside the stream. */
export interface TranscoderStream extends TransformStream<Uint8Array, Uint8Array> {
  end(): void;
}

/** The event-stream bytes → SSE bytes TransformStream around `t`. `name` labels the log line of a throwing onEnd. */
export function frameTranscoder(name: string, t: FrameTranscoder): TranscoderStream {
  const decoder = new EventStreamDecoder();
  const encoder = new TextEncoder();
  let failure: BedrockError | null = null;
  let ended = false;
  const finished = (): boolean => failure !== null || (t.done?.() ?? false);

  const end = (): void => {
    if (ended) return;
    ended = true;
    try {
      t.onEnd(failure);
    } catch (err) {
      console.error(`${name}: onEnd threw`, err);
    }
  };

  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel?: (reason: unknown) => void } = {
    transform(bytes, controller) {
      if (finished()) return;
      let out = "";
      try {
        decoder.feed(bytes, (frame) => {
          if (finished()) return; // nothing may follow a failure or the transcoder's own end
          if (frame.headers[":message-type"] === "event") {
            const eventType = frame.headers[":event-type"];
            if (typeof eventType === "string") out += t.onEvent(eventType, frame);
            return;
          }
          failure = bedrockErrorFromFrame(frame);
          out += t.onError(failure);
        });
      } catch (err) {
        // Bytes after the transcoder's end are not its business, even corrupt ones.
        if (!finished()) {
          failure = failureOf(err);
          out += t.onError(failure);
        }
      }
      if (out) controller.enqueue(encoder.encode(out));
      if (finished()) {
        end();
        // Closes the readable for the client and errors the writable, which cancels the upstream body.
        controller.terminate();
      }
    },

    flush(controller) {
      if (finished()) return end();
      let out = "";
      try {
        decoder.finish();
        const outcome = t.onUpstreamEnd();
        if (typeof outcome === "string") out = outcome;
        else failure = outcome;
      } catch (err) {
        failure = failureOf(err);
      }
      if (failure) out = t.onError(failure);
      if (out) controller.enqueue(encoder.encode(out));
      end();
    },

    cancel() {
      end();
    },
  };

  const stream = new TransformStream<Uint8Array, Uint8Array>(transformer);
  return Object.assign(transformerCancelSupported() ? stream : reportReadableCancel(stream, end), { end });
}

/** A failure of our own making (not a Bedrock error): undecodable or incomplete streams. 502, mapped to a 5xx. */
export function streamFailure(message: string): BedrockError {
  return { name: "StreamDecodeError", message, status: 502 };
}

/** Text of any thrown value, for failure messages. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A thrown BedrockError as is; anything else (decoder errors) as a corrupt stream. */
function failureOf(err: unknown): BedrockError {
  return isBedrockError(err) ? err : streamFailure(`Bedrock response stream is corrupt: ${messageOf(err)}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isBedrockError(v: unknown): v is BedrockError {
  return isRecord(v) && typeof v.name === "string" && typeof v.message === "string" && typeof v.status === "number";
}

const utf8 = new TextDecoder("utf-8");

/**
 * The Anthropic event an InvokeModelWithResponseStream `chunk` frame carries (BEDROCK_WIRE.md §2.3, §3.4): its
 * JSON text exactly as Bedrock wrote it, and that text parsed. Null when the frame has nothing to relay (no
 * `bytes`; `p` is padding). Throws a StreamDecodeError when the payload, the base64 or the event is not valid.
 */
export function invokeChunkEvent(frame: EventStreamFrame): { raw: string; event: unknown } | null {
  try {
    const payload: unknown = JSON.parse(utf8.decode(frame.payload));
    if (!isRecord(payload) || typeof payload.bytes !== "string") return null;
    const raw = decodeBase64Utf8(payload.bytes);
    return { raw, event: JSON.parse(raw) };
  } catch (err) {
    throw streamFailure(`Bedrock stream chunk could not be decoded: ${messageOf(err)}`);
  }
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
  const { stream: readable } = relayReader(stream.readable.getReader(), { onError: onGone, onCancel: onGone });
  return { readable, writable: stream.writable } as TransformStream<I, O>;
}
