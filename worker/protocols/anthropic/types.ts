// Just enough of the Anthropic Messages API shape for the relay code. Objects stay open (index signatures):
// clients send fields we have never heard of, and the relay must carry what Bedrock accepts untouched.

export interface CacheControl {
  type: string; // "ephemeral"
  ttl?: string; // "5m" | "1h"
  scope?: unknown; // sent by Claude Code, rejected by Bedrock
  [key: string]: unknown;
}

export interface TextBlock {
  type: "text";
  text: string;
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface ContentBlock {
  type: string;
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface MessageParam {
  role: string; // "user" | "assistant" — and "system", which Claude Code puts inside `messages`
  content: string | ContentBlock[];
  [key: string]: unknown;
}

export interface ToolDefinition {
  name: string;
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface MessagesRequest {
  model: string;
  max_tokens?: number;
  messages: MessageParam[];
  system?: string | TextBlock[];
  tools?: ToolDefinition[];
  stream?: boolean;
  [key: string]: unknown;
}

/** Usage as Anthropic reports it on `message_start`, `message_delta` and non-streaming messages. */
export interface MessageUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [key: string]: unknown;
}

export interface Message {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: MessageUsage;
  [key: string]: unknown;
}

/** Bedrock's addition to `message_stop` on InvokeModelWithResponseStream (§2.3). */
export interface BedrockInvocationMetrics {
  inputTokenCount?: number;
  outputTokenCount?: number;
  invocationLatency?: number;
  firstByteLatency?: number;
  cacheReadInputTokenCount?: number;
  cacheWriteInputTokenCount?: number;
  [key: string]: unknown;
}

export type StreamEvent =
  | { type: "message_start"; message: Message; [key: string]: unknown }
  | { type: "content_block_start"; index: number; content_block: ContentBlock; [key: string]: unknown }
  | { type: "content_block_delta"; index: number; delta: { type: string; [key: string]: unknown }; [key: string]: unknown }
  | { type: "content_block_stop"; index: number; [key: string]: unknown }
  | {
      type: "message_delta";
      delta: { stop_reason: string | null; stop_sequence: string | null; [key: string]: unknown };
      usage?: MessageUsage;
      [key: string]: unknown;
    }
  | { type: "message_stop"; "amazon-bedrock-invocationMetrics"?: BedrockInvocationMetrics; [key: string]: unknown }
  | { type: "ping"; [key: string]: unknown }
  | { type: "error"; error: { type: string; message: string }; [key: string]: unknown };

export interface ErrorEnvelope {
  type: "error";
  error: { type: string; message: string };
  request_id?: string;
}
