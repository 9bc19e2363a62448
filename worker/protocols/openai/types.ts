// Just enough of the OpenAI Chat Completions shapes for the translators. Objects stay open (index signatures):
// clients send fields we have never heard of, and the translators decide explicitly what to map, refuse or drop.

/** LiteLLM's prompt-caching extension on content parts, messages and tools; carried onto Anthropic blocks. */
export interface CacheControl {
  type: string; // "ephemeral"
  ttl?: string; // "5m" | "1h"
  [key: string]: unknown;
}

export interface TextPart {
  type: "text";
  text: string;
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface ImageUrlPart {
  type: "image_url";
  image_url: string | { url: string; detail?: string; [key: string]: unknown };
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface FilePart {
  type: "file";
  file: { file_data?: string; file_id?: string; filename?: string; [key: string]: unknown };
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface ContentPart {
  type: string; // "text" | "image_url" | "file" | "input_audio" | "refusal" | …
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: string; // "function"
  function: { name: string; arguments: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** LiteLLM's convention for relaying Claude thinking (with its signature) through the OpenAI shape. */
export interface ThinkingBlock {
  type: "thinking" | "redacted_thinking";
  thinking?: string;
  signature?: string;
  data?: string;
  [key: string]: unknown;
}

export interface ChatMessage {
  role: string; // "system" | "developer" | "user" | "assistant" | "tool" | (legacy) "function"
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  /** Non-standard (LiteLLM): the thinking blocks of an earlier assistant turn, signatures included. */
  thinking_blocks?: ThinkingBlock[];
  reasoning_content?: string | null;
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export interface FunctionTool {
  type: string; // "function"
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null; [key: string]: unknown };
  cache_control?: CacheControl;
  [key: string]: unknown;
}

export type ToolChoice = "auto" | "none" | "required" | { type: string; function?: { name: string }; [key: string]: unknown };

export interface ResponseFormat {
  type: string; // "text" | "json_object" | "json_schema"
  json_schema?: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null; [key: string]: unknown };
  [key: string]: unknown;
}

export interface OpenAIChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  /** Extension (not in OpenAI's API): Claude's top_k. */
  top_k?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; [key: string]: unknown } | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean | null;
  response_format?: ResponseFormat | null;
  reasoning_effort?: string | null;
  user?: string;
  [key: string]: unknown;
}

export interface ChatCompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: {
    cached_tokens: number;
    /** LiteLLM's name for cache writes (billed differently from reads). */
    cache_creation_tokens: number;
    cache_creation_token_details?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  };
  /** LiteLLM-compatible copies of Anthropic's cache figures. */
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface ChatCompletionMessage {
  role: "assistant";
  content: string | null;
  refusal: null;
  tool_calls?: ToolCall[];
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  [key: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: null;
  choices: Array<{ index: number; message: ChatCompletionMessage; logprobs: null; finish_reason: string }>;
  usage: ChatCompletionUsage;
  [key: string]: unknown;
}

export interface ChunkToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: ChunkToolCallDelta[];
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint: null;
  choices: Array<{ index: number; delta: ChunkDelta; logprobs: null; finish_reason: string | null }>;
  usage?: ChatCompletionUsage | null;
}
