// Bedrock Converse answers → OpenAI `/v1/chat/completions` answers (BEDROCK_WIRE.md §4.2–§4.4): the JSON response,
// token usage, and the ConverseStream event-stream → `chat.completion.chunk` SSE transcoder.
//
// Choices made where OpenAI has no slot:
// * reasoning (`reasoningContent.reasoningText.text`) goes to the non-standard `reasoning_content` field, as
//   LiteLLM and DeepSeek's own API do; signatures and redacted reasoning are dropped (nothing in the OpenAI API
//   could send them back).
// * text blocks are joined with "" — exactly what a streaming client gets by concatenating deltas, so the two
//   paths give the same `content`.
// * total_tokens is prompt_tokens + completion_tokens (OpenAI's invariant), with cache reads and writes counted
//   as prompt tokens.
//
// Stream end accounting is frameTranscoder's (worker/bedrock/frame-transcoder.ts): `onEnd` fires exactly once — on
// flush, on an exception frame or undecodable bytes (after the error chunk), after [DONE], or on cancellation
// (client gone, upstream body failed).

import type { EventStreamFrame } from "../../bedrock/eventstream.ts";
import type { BedrockError } from "../../bedrock/errors.ts";
import { frameTranscoder, type TranscoderStream, messageOf, streamFailure } from "../../bedrock/frame-transcoder.ts";
import type { TokenUsage } from "../../meter/cost.ts";
import { openAIErrorEnvelope } from "../openai/errors.ts";

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Converse stopReason → OpenAI finish_reason (§4.4; unmapped and unknown reasons → "stop"). */
export function finishReasonOf(stopReason: unknown): string {
  switch (stopReason) {
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      // end_turn, stop_sequence, malformed_model_output, malformed_tool_use, and anything newer.
      return "stop";
  }
}

/** Converse `usage` → the gateway's TokenUsage (input excludes cache reads and writes, as Bedrock reports it). */
export function converseUsage(u: any): TokenUsage {
  const usage = isRecord(u) ? u : {};
  let oneHour = 0;
  if (Array.isArray(usage.cacheDetails)) {
    for (const d of usage.cacheDetails) if (isRecord(d) && d.ttl === "1h") oneHour += count(d.inputTokens);
  }
  return {
    input_tokens: count(usage.inputTokens),
    output_tokens: count(usage.outputTokens),
    cache_read_input_tokens: count(usage.cacheReadInputTokens),
    cache_creation_input_tokens: count(usage.cacheWriteInputTokens),
    cache_creation_1h_input_tokens: oneHour,
  };
}

/** TokenUsage → OpenAI `usage`: cache reads and writes are part of the prompt; reads are the "cached" tokens. */
export function openAIUsageOf(u: TokenUsage): Json {
  const prompt = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output_tokens,
    total_tokens: prompt + u.output_tokens,
    prompt_tokens_details: { cached_tokens: u.cache_read_input_tokens },
  };
}

export interface OpenAIResponseOptions {
  /** The model name the client sent (echoed back, never the Bedrock id). */
  requestedModel: string;
  /** Completion id, e.g. "chatcmpl-…". */
  id: string;
  /** Unix seconds. */
  created: number;
}

/** A Converse response body → an OpenAI `chat.completion` object. */
export function converseToOpenAI(resp: any, opts: OpenAIResponseOptions): Record<string, unknown> {
  const content: unknown[] = isRecord(resp) && isRecord(resp.output) && isRecord(resp.output.message) && Array.isArray(resp.output.message.content)
    ? resp.output.message.content
    : [];
  let text = "";
  let reasoning = "";
  const toolCalls: Json[] = [];
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (typeof block.text === "string") text += block.text;
    else if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      toolCalls.push({
        id: String(use.toolUseId ?? ""),
        type: "function",
        function: { name: String(use.name ?? ""), arguments: JSON.stringify(use.input ?? {}) },
      });
    } else if (isRecord(block.reasoningContent) && isRecord(block.reasoningContent.reasoningText)) {
      const r = block.reasoningContent.reasoningText.text;
      if (typeof r === "string") reasoning += r;
    }
  }

  const message: Json = {
    role: "assistant",
    // OpenAI sends null content alongside tool calls when the model said nothing.
    content: text === "" && toolCalls.length ? null : text,
    refusal: null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;

  return {
    id: opts.id,
    object: "chat.completion",
    created: opts.created,
    model: opts.requestedModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonOf(isRecord(resp) ? resp.stopReason : undefined) }],
    usage: openAIUsageOf(converseUsage(isRecord(resp) ? resp.usage : undefined)),
  };
}

export interface ConverseStreamEndReport {
  usage: TokenUsage;
  /** OpenAI finish_reason from messageStop; null when none arrived. */
  finishReason: string | null;
  /** The upstream or decoding failure that ended the stream (null on success and on cancellation). */
  error: BedrockError | null;
  /** True only if messageStop or metadata was seen. */
  completed: boolean;
}

export interface OpenAIChunksOptions extends OpenAIResponseOptions {
  /** `stream_options.include_usage`: add `usage: null` to every chunk and a final `choices: []` usage chunk. */
  includeUsage: boolean;
  onEnd: (report: ConverseStreamEndReport) => void;
}

/** One SSE data line (OpenAI streams carry no `event:` field). */
function sseData(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

const DONE = "data: [DONE]\n\n";

/** The in-stream error chunk; openai-node raises APIError when a chunk has `error` (§4.4). */
export function openAIErrorChunk(e: BedrockError): string {
  return sseData(openAIErrorEnvelope(e));
}

const utf8 = new TextDecoder("utf-8");

/** ConverseStream body (event-stream bytes) → OpenAI chat.completion.chunk SSE, chunk by chunk. */
export function bedrockConverseToOpenAIChunks(opts: OpenAIChunksOptions): TranscoderStream {
  let usage: TokenUsage = converseUsage(undefined);
  let finishReason: string | null = null;
  let messageStopped = false;
  let metadataSeen = false;
  let roleSent = false;
  let done = false; // [DONE] written: nothing may follow
  // Converse numbers content blocks across text and tools; OpenAI numbers tool calls alone.
  const toolIndexByBlock = new Map<number, number>();

  const chunk = (delta: Json, finish: string | null = null): string => {
    const c: Json = {
      id: opts.id,
      object: "chat.completion.chunk",
      created: opts.created,
      model: opts.requestedModel,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (opts.includeUsage) c.usage = null;
    return sseData(c);
  };

  /** The first chunk carries the role; later ones only what changed. */
  const roleChunk = (): string => {
    if (roleSent) return "";
    roleSent = true;
    return chunk({ role: "assistant", content: "" });
  };

  const toolIndex = (block: number): number => {
    let k = toolIndexByBlock.get(block);
    if (k === undefined) {
      k = toolIndexByBlock.size;
      toolIndexByBlock.set(block, k);
    }
    return k;
  };

  /** After both messageStop (finish_reason) and metadata (usage): the usage chunk, then [DONE]. */
  const closing = (): string => {
    if (done) return "";
    done = true;
    let out = "";
    if (opts.includeUsage) {
      out += sseData({
        id: opts.id,
        object: "chat.completion.chunk",
        created: opts.created,
        model: opts.requestedModel,
        choices: [],
        usage: openAIUsageOf(usage),
      });
    }
    return out + DONE;
  };

  /** One event frame → its SSE text ("" to skip). Throws a BedrockError-shaped failure on undecodable payloads. */
  const translateEvent = (type: string, frame: EventStreamFrame): string => {
    let ev: unknown;
    try {
      ev = JSON.parse(utf8.decode(frame.payload));
    } catch (err) {
      throw streamFailure(`Bedrock ConverseStream event ${type} could not be decoded: ${messageOf(err)}`);
    }
    if (!isRecord(ev)) return "";
    switch (type) {
      case "messageStart":
        return roleChunk();
      case "contentBlockStart": {
        const start = isRecord(ev.start) ? ev.start : undefined;
        if (!start || !isRecord(start.toolUse)) return "";
        const k = toolIndex(count(ev.contentBlockIndex));
        const use = start.toolUse;
        return (
          roleChunk() +
          chunk({
            tool_calls: [
              { index: k, id: String(use.toolUseId ?? ""), type: "function", function: { name: String(use.name ?? ""), arguments: "" } },
            ],
          })
        );
      }
      case "contentBlockDelta": {
        const delta = isRecord(ev.delta) ? ev.delta : undefined;
        if (!delta) return "";
        if (typeof delta.text === "string") {
          return delta.text === "" ? "" : roleChunk() + chunk({ content: delta.text });
        }
        if (isRecord(delta.toolUse) && typeof delta.toolUse.input === "string") {
          const fragment = delta.toolUse.input;
          if (fragment === "") return "";
          const k = toolIndex(count(ev.contentBlockIndex));
          return roleChunk() + chunk({ tool_calls: [{ index: k, function: { arguments: fragment } }] });
        }
        if (isRecord(delta.reasoningContent) && typeof delta.reasoningContent.text === "string") {
          const r = delta.reasoningContent.text;
          return r === "" ? "" : roleChunk() + chunk({ reasoning_content: r });
        }
        return ""; // signatures, redacted reasoning, citations: no OpenAI equivalent
      }
      case "messageStop": {
        if (messageStopped) return "";
        messageStopped = true;
        finishReason = finishReasonOf(ev.stopReason);
        const out = roleChunk() + chunk({}, finishReason);
        return metadataSeen ? out + closing() : out;
      }
      case "metadata": {
        metadataSeen = true;
        if (isRecord(ev.usage)) usage = converseUsage(ev.usage);
        // metadata normally follows messageStop; if it came first, wait for the finish_reason.
        return messageStopped ? closing() : "";
      }
      default:
        return ""; // contentBlockStop, and event types newer than this code, are skipped (as the AWS SDK does)
    }
  };

  return frameTranscoder("bedrockConverseToOpenAIChunks", {
    onEvent: translateEvent,
    onError: openAIErrorChunk,
    done: () => done,
    // A stream cut after messageStop but before metadata still answered the question: finish it, usage unknown.
    onUpstreamEnd: () => (messageStopped ? closing() : streamFailure("Bedrock response stream ended before messageStop")),
    onEnd: (error) => opts.onEnd({ usage, finishReason, error, completed: messageStopped || metadataSeen }),
  });
}
