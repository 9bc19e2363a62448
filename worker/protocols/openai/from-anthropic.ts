// Claude's answers through Bedrock InvokeModel → OpenAI chat.completions shapes: a whole Message → one
// `chat.completion`, and the InvokeModelWithResponseStream body → `chat.completion.chunk` SSE.
//
// Non-standard fields follow LiteLLM, so clients that already read Claude thinking through LiteLLM keep working:
//   * `reasoning_content` — the thinking text (message field; `delta.reasoning_content` while streaming);
//   * `thinking_blocks` — the thinking blocks with their signatures, which a client sends back on its next
//     assistant message for multi-turn thinking. While streaming, each block is sent once, complete, in
//     `delta.thinking_blocks` when it ends (its text has already streamed as reasoning_content);
//   * usage: `prompt_tokens_details.cache_creation_tokens` and top-level cache_{creation,read}_input_tokens.
//
// JSON mode (response_format json_schema, implemented as a forced tool): that tool's input is the answer, so it
// becomes `content` (JSON text) and the finish reason "stop". With a forced tool Claude writes no text first.

import type { EventStreamFrame } from "../../bedrock/eventstream.ts";
import type { BedrockError } from "../../bedrock/errors.ts";
import { frameTranscoder, type TranscoderStream, invokeChunkEvent, streamFailure } from "../../bedrock/frame-transcoder.ts";
import { UsageTracker, usageFromMessage, type AnthropicUsage } from "../anthropic/usage.ts";
import { openAIErrorEnvelope } from "./errors.ts";
import type { JsonModeInfo } from "./to-anthropic.ts";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ChatCompletionUsage,
  ChunkDelta,
  ThinkingBlock,
  ToolCall,
} from "./types.ts";

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Anthropic stop_reason → OpenAI finish_reason. Unknown reasons (future ones) read as a normal stop. */
export function finishReasonFromAnthropic(stop: string | null, jsonMode: boolean): string {
  switch (stop) {
    case "tool_use":
      return jsonMode ? "stop" : "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn, null
      return "stop";
  }
}

/** Anthropic usage → OpenAI usage. OpenAI's prompt_tokens includes cached tokens, Anthropic's input_tokens does not. */
export function openAIUsage(u: AnthropicUsage): ChatCompletionUsage {
  const prompt = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
  const usage: ChatCompletionUsage = {
    prompt_tokens: prompt,
    completion_tokens: u.output_tokens,
    total_tokens: prompt + u.output_tokens,
    prompt_tokens_details: { cached_tokens: u.cache_read_input_tokens, cache_creation_tokens: u.cache_creation_input_tokens },
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
  };
  const oneHour = u.cache_creation_1h_input_tokens ?? 0;
  if (oneHour > 0) {
    // The 1-hour writes are billed at a higher rate; keep the split (LiteLLM's field).
    usage.prompt_tokens_details.cache_creation_token_details = {
      ephemeral_5m_input_tokens: Math.max(0, u.cache_creation_input_tokens - oneHour),
      ephemeral_1h_input_tokens: oneHour,
    };
  }
  return usage;
}

export interface AnthropicToOpenAIOptions {
  /** The model name the client sent (reported back instead of Bedrock's). */
  requestedModel: string;
  /** `chatcmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  jsonMode: JsonModeInfo | null;
}

/** A non-streaming InvokeModel answer (an Anthropic Message) → `chat.completion`. */
export function anthropicToOpenAI(msg: any, opts: AnthropicToOpenAIOptions): Record<string, unknown> {
  const blocks: unknown[] = isRecord(msg) && Array.isArray(msg.content) ? msg.content : [];
  let text = "";
  let jsonText: string | null = null;
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  for (const b of blocks) {
    if (!isRecord(b)) continue;
    if (b.type === "text" && typeof b.text === "string") text += b.text;
    else if (b.type === "thinking") thinking.push({ type: "thinking", thinking: String(b.thinking ?? ""), signature: String(b.signature ?? "") });
    else if (b.type === "redacted_thinking") thinking.push({ type: "redacted_thinking", data: String(b.data ?? "") });
    else if (b.type === "tool_use") {
      const args = JSON.stringify(b.input ?? {});
      if (opts.jsonMode && b.name === opts.jsonMode.toolName && jsonText === null) jsonText = args;
      else toolCalls.push({ id: String(b.id ?? ""), type: "function", function: { name: String(b.name ?? ""), arguments: args } });
    }
  }

  const message: ChatCompletionMessage = {
    role: "assistant",
    // JSON mode: the schema tool's input is the whole answer (any text would make it unparseable).
    content: jsonText ?? (text === "" && toolCalls.length > 0 ? null : text),
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinking.length > 0) {
    message.reasoning_content = thinking.map((t) => t.thinking ?? "").join("");
    message.thinking_blocks = thinking;
  }

  const stop = isRecord(msg) && typeof msg.stop_reason === "string" ? msg.stop_reason : null;
  const completion: ChatCompletion = {
    id: opts.id,
    object: "chat.completion",
    created: opts.created,
    model: opts.requestedModel,
    system_fingerprint: null,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonFromAnthropic(stop, jsonText !== null && toolCalls.length === 0) }],
    usage: openAIUsage(usageFromMessage(msg)),
  };
  return completion;
}

// ─── streaming ───────────────────────────────────────────────────────────────────────────────────────────────

export interface OpenAIStreamEndReport {
  usage: AnthropicUsage;
  /** The OpenAI finish_reason sent to the client; null when the stream ended before one. */
  finishReason: string | null;
  /** The upstream or decoding failure that ended the stream, if any (null on success and on cancellation). */
  error: BedrockError | null;
  /** True only if Claude's message_stop was seen. */
  completed: boolean;
}

export interface OpenAIChunkStreamOptions {
  requestedModel: string;
  id: string;
  created: number;
  /** stream_options.include_usage: every chunk carries `usage: null`, and a final `choices: []` chunk the usage. */
  includeUsage: boolean;
  jsonMode: JsonModeInfo | null;
  /** Called exactly once, however the stream ends (as bedrockToAnthropicSSE's onEnd). */
  onEnd: (report: OpenAIStreamEndReport) => void;
}

/** What each Anthropic content block index turned into on the OpenAI side. */
type BlockState =
  | { kind: "text" }
  | { kind: "thinking"; text: string; signature: string }
  | { kind: "redacted"; data: string }
  | { kind: "tool"; index: number; sent: boolean; startInput: unknown }
  | { kind: "json"; sent: boolean; startInput: unknown }
  | { kind: "other" };

/**
 * InvokeModelWithResponseStream bytes → OpenAI `chat.completion.chunk` SSE (`data: {…}\n\n` … `data: [DONE]\n\n`),
 * frame by frame. Errors (exception/error frames, undecodable bytes, a stream cut before message_stop) become
 * one `data: {"error":{…}}` event and the stream closes without [DONE] — openai-node throws APIError on it.
 */
export function bedrockInvokeToOpenAIChunks(opts: OpenAIChunkStreamOptions): TranscoderStream {
  const usage = new UsageTracker();
  const blocks = new Map<number, BlockState>();
  let toolCount = 0; // OpenAI tool_calls index, counting the client-visible tool blocks from 0
  let started = false; // role chunk sent
  let finishReason: string | null = null; // finish chunk sent once this is set
  let completed = false; // message_stop seen: usage chunk and [DONE] sent, nothing more goes out

  const chunk = (delta: ChunkDelta, finish: string | null = null): string => {
    const c: ChatCompletionChunk = {
      id: opts.id,
      object: "chat.completion.chunk",
      created: opts.created,
      model: opts.requestedModel,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (opts.includeUsage) c.usage = null;
    return data(c);
  };

  /** The role chunk, once, before anything else the client sees. */
  const start = (): string => {
    if (started) return "";
    started = true;
    return chunk({ role: "assistant", content: "" });
  };

  const finish = (stop: string | null): string => {
    if (finishReason !== null) return "";
    // JSON mode reads as a plain answer unless the model also called one of the client's own tools.
    finishReason = finishReasonFromAnthropic(stop, opts.jsonMode !== null && toolCount === 0);
    return start() + chunk({}, finishReason);
  };

  const onBlockStart = (index: number, cb: unknown): string => {
    if (!isRecord(cb)) return "";
    switch (cb.type) {
      case "text": {
        blocks.set(index, { kind: "text" });
        const text = typeof cb.text === "string" ? cb.text : "";
        return text ? start() + chunk({ content: text }) : "";
      }
      case "thinking":
        blocks.set(index, { kind: "thinking", text: String(cb.thinking ?? ""), signature: String(cb.signature ?? "") });
        return cb.thinking ? start() + chunk({ reasoning_content: String(cb.thinking) }) : "";
      case "redacted_thinking":
        blocks.set(index, { kind: "redacted", data: String(cb.data ?? "") });
        return "";
      case "tool_use": {
        const hasInput = isRecord(cb.input) && Object.keys(cb.input).length > 0;
        const startInput = hasInput ? cb.input : undefined;
        if (opts.jsonMode && cb.name === opts.jsonMode.toolName) {
          blocks.set(index, { kind: "json", sent: false, startInput });
          return "";
        }
        const k = toolCount++;
        blocks.set(index, { kind: "tool", index: k, sent: false, startInput });
        const id = String(cb.id ?? "");
        return start() + chunk({ tool_calls: [{ index: k, id, type: "function", function: { name: String(cb.name ?? ""), arguments: "" } }] });
      }
      default:
        // Server tools and future block types have no chat.completions equivalent.
        blocks.set(index, { kind: "other" });
        return "";
    }
  };

  const onBlockDelta = (index: number, delta: unknown): string => {
    const state = blocks.get(index);
    if (!state || !isRecord(delta)) return "";
    switch (delta.type) {
      case "text_delta":
        return state.kind === "text" && typeof delta.text === "string" && delta.text ? start() + chunk({ content: delta.text }) : "";
      case "thinking_delta":
        if (state.kind !== "thinking" || typeof delta.thinking !== "string" || !delta.thinking) return "";
        state.text += delta.thinking;
        return start() + chunk({ reasoning_content: delta.thinking });
      case "signature_delta":
        if (state.kind === "thinking" && typeof delta.signature === "string") state.signature += delta.signature;
        return "";
      case "input_json_delta": {
        const fragment = typeof delta.partial_json === "string" ? delta.partial_json : "";
        if (!fragment) return "";
        if (state.kind === "tool") {
          state.sent = true;
          return start() + chunk({ tool_calls: [{ index: state.index, function: { arguments: fragment } }] });
        }
        if (state.kind === "json") {
          state.sent = true;
          return start() + chunk({ content: fragment });
        }
        return "";
      }
      default:
        return "";
    }
  };

  const onBlockStop = (index: number): string => {
    const state = blocks.get(index);
    blocks.delete(index);
    if (!state) return "";
    switch (state.kind) {
      case "thinking":
        return start() + chunk({ thinking_blocks: [{ type: "thinking", thinking: state.text, signature: state.signature }] });
      case "redacted":
        return start() + chunk({ thinking_blocks: [{ type: "redacted_thinking", data: state.data }] });
      case "tool":
        // A tool without argument fragments (no parameters) must still leave parseable JSON arguments.
        return state.sent ? "" : start() + chunk({ tool_calls: [{ index: state.index, function: { arguments: JSON.stringify(state.startInput ?? {}) } }] });
      case "json":
        return state.sent ? "" : start() + chunk({ content: JSON.stringify(state.startInput ?? {}) });
      default:
        return "";
    }
  };

  /** One Anthropic event → SSE text ("" when nothing is due). */
  const onEvent = (event: Json): string => {
    usage.observe(event);
    const index = typeof event.index === "number" ? event.index : -1;
    switch (event.type) {
      case "message_start":
        return start();
      case "content_block_start":
        return onBlockStart(index, event.content_block);
      case "content_block_delta":
        return onBlockDelta(index, event.delta);
      case "content_block_stop":
        return onBlockStop(index);
      case "message_delta": {
        const delta = event.delta;
        return isRecord(delta) && typeof delta.stop_reason === "string" ? finish(delta.stop_reason) : "";
      }
      case "message_stop": {
        // Usage is final only now (Bedrock's invocation metrics and late cache figures ride on message_stop).
        let out = finish(null);
        completed = true;
        if (opts.includeUsage) out += data({ ...chunkEnvelope(opts), choices: [], usage: openAIUsage(usage.usage) });
        return out + "data: [DONE]\n\n";
      }
      default:
        return ""; // ping, and anything new
    }
  };

  const translateChunk = (frame: EventStreamFrame): string => {
    const decoded = invokeChunkEvent(frame);
    return decoded && isRecord(decoded.event) ? onEvent(decoded.event) : "";
  };

  return frameTranscoder("bedrockInvokeToOpenAIChunks", {
    // Unknown event types are skipped, as the AWS SDK does.
    onEvent: (eventType, frame) => (eventType === "chunk" ? translateChunk(frame) : ""),
    onError: (e) => data(openAIErrorEnvelope(e)),
    done: () => completed, // [DONE] went out: close now, whatever Bedrock still sends
    // Not completed (message_stop would have closed the stream), so the answer is cut short.
    onUpstreamEnd: () => streamFailure("Bedrock response stream ended before message_stop"),
    onEnd: (error) => opts.onEnd({ usage: usage.usage, finishReason, error, completed }),
  });
}

function chunkEnvelope(opts: OpenAIChunkStreamOptions) {
  return { id: opts.id, object: "chat.completion.chunk", created: opts.created, model: opts.requestedModel, system_fingerprint: null };
}

/** One SSE event as OpenAI sends it (data lines only; JSON.stringify never emits a raw newline). */
function data(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}
