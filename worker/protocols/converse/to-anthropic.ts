// Bedrock Converse answers → Anthropic Messages answers (BEDROCK_WIRE.md §4.2–§4.3, §9.2): the JSON `Message`, and
// the ConverseStream event-stream → Anthropic SSE transcoder, event for event as the Anthropic API emits them:
//   message_start (usage) → per block: content_block_start, deltas, content_block_stop → message_delta (stop_reason,
//   usage) → message_stop.
//
// Where the two disagree:
// * Converse text and reasoning blocks have no start event; a block is opened by its first delta, and its type
//   (text, thinking, redacted_thinking) comes from that delta. Tool blocks open with contentBlockStart.
// * Converse reports usage only at the end (metadata, after messageStop). So message_start carries zeros, and the
//   message_delta — held back until metadata arrives — carries the real input, output and cache figures (the
//   Anthropic SDKs take input and cache figures from message_delta when present).
// * Reasoning without a signature (models other than Claude sign nothing) becomes a `thinking` block with an empty
//   signature: clients display it; it is never sent back to Bedrock (from-anthropic drops earlier thinking).
// * Converse block indices are renumbered 0, 1, 2… in the order blocks open, as Anthropic's are.
//
// Stream end accounting is frameTranscoder's: `onEnd` fires exactly once, however the stream ends.

import type { EventStreamFrame } from "../../bedrock/eventstream.ts";
import { toAnthropicError, type BedrockError } from "../../bedrock/errors.ts";
import { frameTranscoder, type TranscoderStream, messageOf, streamFailure } from "../../bedrock/frame-transcoder.ts";
import type { TokenUsage } from "../../meter/cost.ts";
import { sseEvent } from "../anthropic/stream.ts";
import { converseUsage } from "./to-openai.ts";

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Converse stopReason → Anthropic stop_reason. */
export function stopReasonOf(stopReason: unknown): string {
  switch (stopReason) {
    case "end_turn":
    case "tool_use":
    case "max_tokens":
    case "stop_sequence":
    case "model_context_window_exceeded":
      return stopReason;
    case "guardrail_intervened":
    case "content_filtered":
      return "refusal";
    default:
      // malformed_model_output, malformed_tool_use, and anything newer: the turn is over.
      return "end_turn";
  }
}

/** TokenUsage → Anthropic `usage` (input excludes cache reads and writes in both). */
export function anthropicUsageOf(u: TokenUsage): Json {
  const usage: Json = {
    input_tokens: u.input_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    output_tokens: u.output_tokens,
  };
  const oneHour = u.cache_creation_1h_input_tokens ?? 0;
  if (u.cache_creation_input_tokens > 0) {
    usage.cache_creation = { ephemeral_5m_input_tokens: u.cache_creation_input_tokens - oneHour, ephemeral_1h_input_tokens: oneHour };
  }
  return usage;
}

export interface AnthropicIds {
  /** The model name the client sent (echoed back). */
  requestedModel: string;
  /** Message id, "msg_…". */
  id: string;
}

/** One Converse content block → an Anthropic content block (null for kinds a client could not use). */
function blockOf(block: unknown): Json | null {
  if (!isRecord(block)) return null;
  if (typeof block.text === "string") return { type: "text", text: block.text };
  if (isRecord(block.toolUse)) {
    const use = block.toolUse;
    return { type: "tool_use", id: String(use.toolUseId ?? ""), name: String(use.name ?? ""), input: isRecord(use.input) ? use.input : {} };
  }
  if (isRecord(block.reasoningContent)) {
    const r = block.reasoningContent;
    if (isRecord(r.reasoningText)) return { type: "thinking", thinking: String(r.reasoningText.text ?? ""), signature: String(r.reasoningText.signature ?? "") };
    if (typeof r.redactedContent === "string") return { type: "redacted_thinking", data: r.redactedContent };
  }
  return null;
}

/** A Converse response body → an Anthropic `Message`. */
export function converseToAnthropic(resp: unknown, ids: AnthropicIds): Json {
  const r = isRecord(resp) ? resp : {};
  const message = isRecord(r.output) && isRecord(r.output.message) ? r.output.message : {};
  const content = (Array.isArray(message.content) ? message.content : []).map(blockOf).filter((b): b is Json => b !== null);
  return {
    id: ids.id,
    type: "message",
    role: "assistant",
    model: ids.requestedModel,
    content,
    stop_reason: stopReasonOf(r.stopReason),
    stop_sequence: null,
    usage: anthropicUsageOf(converseUsage(r.usage)),
  };
}

export interface ConverseAnthropicEnd {
  usage: TokenUsage;
  stopReason: string | null;
  error: BedrockError | null;
  /** True once messageStop was seen. */
  completed: boolean;
}

export interface ConverseAnthropicSSEOptions extends AnthropicIds {
  onEnd: (report: ConverseAnthropicEnd) => void;
}

function errorEvent(e: BedrockError): string {
  const mapped = toAnthropicError(e);
  return sseEvent("error", { type: "error", error: { type: mapped.type, message: mapped.message } });
}

const utf8 = new TextDecoder("utf-8");

type OpenKind = "text" | "thinking" | "redacted_thinking" | "tool_use";

/** ConverseStream body (event-stream bytes) → Anthropic Messages SSE, chunk by chunk. */
export function bedrockConverseToAnthropicSSE(opts: ConverseAnthropicSSEOptions): TranscoderStream {
  let usage: TokenUsage = converseUsage(undefined);
  let stopReason: string | null = null;
  let started = false;
  let stopped = false; // messageStop seen
  let done = false; // message_stop written
  let nextIndex = 0;
  /** The block being written: its Converse index, our index and kind. */
  let open: { converse: number; index: number; kind: OpenKind } | null = null;

  const start = (): string => {
    if (started) return "";
    started = true;
    const message = {
      id: opts.id,
      type: "message",
      role: "assistant",
      model: opts.requestedModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsageOf(usage),
    };
    return sseEvent("message_start", { type: "message_start", message });
  };

  const close = (): string => {
    if (!open) return "";
    const out = sseEvent("content_block_stop", { type: "content_block_stop", index: open.index });
    open = null;
    return out;
  };

  /** Opens a block for Converse index `converse` unless it is the one already open. */
  const ensure = (converse: number, kind: OpenKind, contentBlock: Json): string => {
    if (open && open.converse === converse && open.kind === kind) return "";
    const out = start() + close();
    open = { converse, index: nextIndex++, kind };
    return out + sseEvent("content_block_start", { type: "content_block_start", index: open.index, content_block: contentBlock });
  };

  const delta = (d: Json): string => sseEvent("content_block_delta", { type: "content_block_delta", index: open!.index, delta: d });

  /** message_delta (stop reason and the final usage), then message_stop. */
  const finish = (): string => {
    if (done) return "";
    done = true;
    return (
      start() +
      close() +
      sseEvent("message_delta", { type: "message_delta", delta: { stop_reason: stopReason ?? "end_turn", stop_sequence: null }, usage: anthropicUsageOf(usage) }) +
      sseEvent("message_stop", { type: "message_stop" })
    );
  };

  const translateEvent = (type: string, frame: EventStreamFrame): string => {
    let ev: unknown;
    try {
      ev = JSON.parse(utf8.decode(frame.payload));
    } catch (err) {
      throw streamFailure(`Bedrock ConverseStream event ${type} could not be decoded: ${messageOf(err)}`);
    }
    if (!isRecord(ev)) return "";
    const converse = typeof ev.contentBlockIndex === "number" ? ev.contentBlockIndex : 0;
    switch (type) {
      case "messageStart":
        return start();
      case "contentBlockStart": {
        const use = isRecord(ev.start) && isRecord(ev.start.toolUse) ? ev.start.toolUse : null;
        if (!use) return "";
        return ensure(converse, "tool_use", { type: "tool_use", id: String(use.toolUseId ?? ""), name: String(use.name ?? ""), input: {} });
      }
      case "contentBlockDelta": {
        const d = isRecord(ev.delta) ? ev.delta : {};
        if (typeof d.text === "string") {
          if (d.text === "") return "";
          return ensure(converse, "text", { type: "text", text: "" }) + delta({ type: "text_delta", text: d.text });
        }
        if (isRecord(d.toolUse) && typeof d.toolUse.input === "string") {
          if (!open || open.converse !== converse || open.kind !== "tool_use" || d.toolUse.input === "") return "";
          return delta({ type: "input_json_delta", partial_json: d.toolUse.input });
        }
        if (isRecord(d.reasoningContent)) {
          const r = d.reasoningContent;
          if (typeof r.text === "string") {
            if (r.text === "") return "";
            return ensure(converse, "thinking", { type: "thinking", thinking: "", signature: "" }) + delta({ type: "thinking_delta", thinking: r.text });
          }
          if (typeof r.signature === "string") {
            return ensure(converse, "thinking", { type: "thinking", thinking: "", signature: "" }) + delta({ type: "signature_delta", signature: r.signature });
          }
          if (typeof r.redactedContent === "string") {
            // Anthropic sends redacted thinking whole, in its start event.
            return ensure(converse, "redacted_thinking", { type: "redacted_thinking", data: r.redactedContent });
          }
        }
        return ""; // citations and newer delta kinds: nothing an Anthropic client expects here
      }
      case "contentBlockStop":
        return open && open.converse === converse ? close() : "";
      case "messageStop": {
        stopped = true;
        stopReason = stopReasonOf(ev.stopReason);
        return start() + close();
      }
      case "metadata": {
        if (isRecord(ev.usage)) usage = converseUsage(ev.usage);
        // metadata normally follows messageStop; if it came first, wait for the stop reason.
        return stopped ? finish() : "";
      }
      default:
        return ""; // event types newer than this code are skipped, as the AWS SDK does
    }
  };

  return frameTranscoder("bedrockConverseToAnthropicSSE", {
    onEvent: translateEvent,
    onError: errorEvent,
    done: () => done,
    // Cut after messageStop but before metadata: the answer is whole, its usage unknown.
    onUpstreamEnd: () => (stopped ? finish() : streamFailure("Bedrock response stream ended before messageStop")),
    onEnd: (error) => opts.onEnd({ usage, stopReason, error, completed: stopped }),
  });
}
