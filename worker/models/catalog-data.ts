// The model catalog, as data. Mapping a new model name is a one-line change here.
//
// Prices are USD per 1M tokens. Sources: Anthropic's models overview and the Bedrock price list as recorded in the
// project's wire reference (§10). Rows marked `verified: false` are models whose Bedrock id or price could not be
// confirmed when they were added: the id follows Bedrock's naming of the newest Claude models
// (`anthropic.claude-<family>-<major>-<minor>`, no date, no `:0`) and the price that of the same tier. Check them with
// `aws bedrock list-foundation-models` / `list-inference-profiles` before relying on them in production.

export type ModelApi = "anthropic" | "converse" | "embedding";

/** What a Converse model accepts, so the OpenAI translator refuses (400) what the model would otherwise reject. */
export interface ConverseSupport {
  stopSequences?: boolean;
  toolChoiceRequired?: boolean;
  cachePointOnTools?: boolean;
  jsonSchema?: boolean;
  reasoning?: boolean;
  /** Images in messages and tool results (Anthropic `image` blocks; absent = text-only). */
  images?: boolean;
  /** Document blocks (PDF, text). */
  documents?: boolean;
  /** `toolResult.status` ("error") accepted. */
  toolResultStatus?: boolean;
}

export type EmbeddingFamily = "titan-v2" | "cohere-v3" | "cohere-v4";

export interface Price {
  input: number;
  output: number;
  /** Reading cached prompt tokens. */
  cacheRead?: number;
  /** Writing the prompt cache with the default 5-minute TTL (1.25 × input for Claude). */
  cacheWrite?: number;
  /** Writing the prompt cache with the 1-hour TTL (2 × input for Claude). */
  cacheWrite1h?: number;
}

export interface ModelRow {
  /** The canonical name clients use and `/v1/models` lists. */
  name: string;
  /** Other exact names that resolve to this model (dated ids, older names kept working). */
  aliases?: string[];
  displayName: string;
  /** Bedrock base model id (no geo prefix). */
  bedrockId: string;
  api: ModelApi;
  /** Inference-profile geographies this model is offered in; empty = call the base id directly. */
  geos: readonly string[];
  price: Price;
  /** Prompt caching (`cache_control`) accepted by Bedrock for this model. */
  caching?: boolean;
  /** `cache_control.ttl` ("5m"/"1h") accepted (Claude 4.5 and later). */
  cacheTtl?: boolean;
  /** `output_config` accepted (Claude 4.6 and later). */
  outputConfig?: boolean;
  /** Converse models: what the model accepts (omitted = the common defaults: stop sequences and tool forcing). */
  converse?: ConverseSupport;
  /** Embedding models: which request/response shape the model speaks. */
  embedding?: EmbeddingFamily;
  contextWindow: number;
  maxOutput: number;
  /** RFC 3339 date the model was released, for `/v1/models`. */
  released: string;
  /** Last day (UTC, RFC 3339 date) Bedrock serves this model; from the next day `successor` serves its requests. */
  endOfLife?: string;
  /** The catalog name that takes over after `endOfLife`. */
  successor?: string;
  verified?: boolean;
}

const ALL_GEOS = ["us", "eu", "apac", "jp", "au", "ca", "global"] as const;
const OPUS = { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, cacheWrite1h: 10 } as const;
const SONNET = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 } as const;
const HAIKU = { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25, cacheWrite1h: 2 } as const;
const CLAUDE_NEW = { api: "anthropic", geos: ALL_GEOS, caching: true, cacheTtl: true, outputConfig: true } as const;

export const MODELS: readonly ModelRow[] = [
  // ---- Claude: names current Claude Code and the Anthropic SDK send -------------------------------------------
  { ...CLAUDE_NEW, name: "claude-opus-5-5", displayName: "Claude Opus 5.5", bedrockId: "anthropic.claude-opus-5-5", price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-10-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-sonnet-5-5", displayName: "Claude Sonnet 5.5", bedrockId: "anthropic.claude-sonnet-5-5", price: SONNET, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-10-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-haiku-5-5", displayName: "Claude Haiku 5.5", bedrockId: "anthropic.claude-haiku-5-5", price: HAIKU, contextWindow: 200_000, maxOutput: 64_000, released: "2026-10-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-opus-5", displayName: "Claude Opus 5", bedrockId: "anthropic.claude-opus-5", price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-06-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-sonnet-5", displayName: "Claude Sonnet 5", bedrockId: "anthropic.claude-sonnet-5", price: SONNET, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-06-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-mythos-5", aliases: ["claude-mythos-5-1", "claude-mythos-5-2"], displayName: "Claude Mythos 5", bedrockId: "anthropic.claude-mythos-5", price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-08-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-fable-5", aliases: ["claude-fable-5-1", "claude-fable-5-2"], displayName: "Claude Fable 5", bedrockId: "anthropic.claude-fable-5", price: SONNET, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-08-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-opus-4-8", displayName: "Claude Opus 4.8", bedrockId: "anthropic.claude-opus-4-8", price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-04-01", verified: false },
  { ...CLAUDE_NEW, name: "claude-opus-4-7", displayName: "Claude Opus 4.7", bedrockId: "anthropic.claude-opus-4-7", geos: ["us", "eu", "global"], price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-02-01" },
  { ...CLAUDE_NEW, name: "claude-opus-4-6", displayName: "Claude Opus 4.6", bedrockId: "anthropic.claude-opus-4-6-v1", geos: ["us", "eu", "jp", "apac", "global"], price: OPUS, contextWindow: 1_000_000, maxOutput: 128_000, released: "2026-01-15" },
  { ...CLAUDE_NEW, name: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6", bedrockId: "anthropic.claude-sonnet-4-6", geos: ["us", "eu", "jp", "global"], price: SONNET, contextWindow: 1_000_000, maxOutput: 64_000, released: "2026-01-15" },
  { ...CLAUDE_NEW, outputConfig: false, name: "claude-opus-4-5", aliases: ["claude-opus-4-5-20251101"], displayName: "Claude Opus 4.5", bedrockId: "anthropic.claude-opus-4-5-20251101-v1:0", geos: ["us", "eu", "global"], price: OPUS, contextWindow: 200_000, maxOutput: 64_000, released: "2025-11-01" },
  { ...CLAUDE_NEW, outputConfig: false, name: "claude-sonnet-4-5", aliases: ["claude-sonnet-4-5-20250929"], displayName: "Claude Sonnet 4.5", bedrockId: "anthropic.claude-sonnet-4-5-20250929-v1:0", geos: ["us", "eu", "jp", "global"], price: SONNET, contextWindow: 1_000_000, maxOutput: 64_000, released: "2025-09-29", endOfLife: "2026-11-30", successor: "claude-sonnet-4-6" },
  { ...CLAUDE_NEW, outputConfig: false, name: "claude-haiku-4-5", aliases: ["claude-haiku-4-5-20251001"], displayName: "Claude Haiku 4.5", bedrockId: "anthropic.claude-haiku-4-5-20251001-v1:0", geos: ["us", "eu", "jp", "au", "global"], price: HAIKU, contextWindow: 200_000, maxOutput: 64_000, released: "2025-10-01" },
  { ...CLAUDE_NEW, cacheTtl: false, outputConfig: false, name: "claude-opus-4-1", aliases: ["claude-opus-4-1-20250805"], displayName: "Claude Opus 4.1", bedrockId: "anthropic.claude-opus-4-1-20250805-v1:0", geos: ["us"], price: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75, cacheWrite1h: 30 }, contextWindow: 200_000, maxOutput: 32_000, released: "2025-08-05" },
  { ...CLAUDE_NEW, cacheTtl: false, outputConfig: false, name: "claude-sonnet-4-0", aliases: ["claude-sonnet-4-20250514"], displayName: "Claude Sonnet 4", bedrockId: "anthropic.claude-sonnet-4-20250514-v1:0", geos: ["us", "eu", "apac", "global"], price: SONNET, contextWindow: 200_000, maxOutput: 64_000, released: "2025-05-14" },

  // ---- Other providers (Rockport's model set), served through Converse --------------------------------------
  { name: "deepseek-v3.2", displayName: "DeepSeek V3.2", bedrockId: "deepseek.v3.2", api: "converse", geos: [], price: { input: 0.62, output: 1.85 }, contextWindow: 128_000, maxOutput: 32_000, released: "2025-12-01" },
  { name: "qwen3-coder-480b", displayName: "Qwen3 Coder 480B A35B", bedrockId: "qwen.qwen3-coder-480b-a35b-v1:0", api: "converse", geos: [], price: { input: 0.45, output: 1.8 }, contextWindow: 256_000, maxOutput: 64_000, released: "2025-09-18" },
  // Kimi on Bedrock takes no stop sequences and cannot be forced to call a tool.
  { name: "kimi-k2.5", converse: { stopSequences: false, toolChoiceRequired: false }, displayName: "Kimi K2.5", bedrockId: "moonshotai.kimi-k2.5", api: "converse", geos: [], price: { input: 0.6, output: 3 }, contextWindow: 256_000, maxOutput: 32_000, released: "2026-01-27" },
  { name: "nova-pro", converse: { images: true, documents: true, toolResultStatus: true }, caching: true, displayName: "Amazon Nova Pro", bedrockId: "amazon.nova-pro-v1:0", api: "converse", geos: ["us", "eu", "apac"], price: { input: 0.8, output: 3.2, cacheRead: 0.2 }, contextWindow: 300_000, maxOutput: 10_000, released: "2024-12-03" },
  { name: "nova-lite", converse: { images: true, documents: true, toolResultStatus: true }, caching: true, displayName: "Amazon Nova Lite", bedrockId: "amazon.nova-lite-v1:0", api: "converse", geos: ["us", "eu", "apac"], price: { input: 0.06, output: 0.24, cacheRead: 0.015 }, contextWindow: 300_000, maxOutput: 10_000, released: "2024-12-03" },
  { name: "nova-micro", converse: { documents: true, toolResultStatus: true }, caching: true, displayName: "Amazon Nova Micro", bedrockId: "amazon.nova-micro-v1:0", api: "converse", geos: ["us", "eu", "apac"], price: { input: 0.035, output: 0.14, cacheRead: 0.00875 }, contextWindow: 128_000, maxOutput: 10_000, released: "2024-12-03" },
  { name: "nova-2-lite", converse: { images: true, documents: true, toolResultStatus: true }, caching: true, displayName: "Amazon Nova 2 Lite", bedrockId: "amazon.nova-2-lite-v1:0", api: "converse", geos: ["global", "us", "eu"], price: { input: 0.3, output: 2.5 }, contextWindow: 1_000_000, maxOutput: 64_000, released: "2025-12-02", verified: false },
  { name: "llama4-scout", converse: { images: true }, displayName: "Llama 4 Scout 17B", bedrockId: "meta.llama4-scout-17b-instruct-v1:0", api: "converse", geos: ["us"], price: { input: 0.17, output: 0.66 }, contextWindow: 3_500_000, maxOutput: 8_192, released: "2025-04-28", verified: false },
  { name: "llama4-maverick", converse: { images: true }, displayName: "Llama 4 Maverick 17B", bedrockId: "meta.llama4-maverick-17b-instruct-v1:0", api: "converse", geos: ["us"], price: { input: 0.24, output: 0.97 }, contextWindow: 1_000_000, maxOutput: 8_192, released: "2025-04-28", verified: false },
  { name: "mistral-large-3", converse: { images: true }, displayName: "Mistral Large 3", bedrockId: "mistral.mistral-large-3-675b-instruct", api: "converse", geos: [], price: { input: 0.5, output: 1.5 }, contextWindow: 256_000, maxOutput: 32_000, released: "2025-12-02", verified: false },
  { name: "ministral-8b", displayName: "Ministral 3 8B", bedrockId: "mistral.ministral-3-8b-instruct", api: "converse", geos: [], price: { input: 0.15, output: 0.15 }, contextWindow: 128_000, maxOutput: 32_000, released: "2025-12-02", verified: false },
  { name: "gpt-oss-120b", converse: { reasoning: true }, displayName: "gpt-oss-120b", bedrockId: "openai.gpt-oss-120b-1:0", api: "converse", geos: [], price: { input: 0.15, output: 0.6 }, contextWindow: 128_000, maxOutput: 32_000, released: "2025-08-05", verified: false },
  { name: "gpt-oss-20b", converse: { reasoning: true }, displayName: "gpt-oss-20b", bedrockId: "openai.gpt-oss-20b-1:0", api: "converse", geos: [], price: { input: 0.07, output: 0.3 }, contextWindow: 128_000, maxOutput: 32_000, released: "2025-08-05", verified: false },

  // ---- Embeddings (OpenAI /v1/embeddings), called with their native InvokeModel bodies; base ids only -------------
  { name: "titan-embed-text-v2", aliases: ["amazon.titan-embed-text-v2"], embedding: "titan-v2", displayName: "Amazon Titan Text Embeddings V2", bedrockId: "amazon.titan-embed-text-v2:0", api: "embedding", geos: [], price: { input: 0.02, output: 0 }, contextWindow: 8_192, maxOutput: 0, released: "2024-04-30" },
  { name: "cohere-embed-english-v3", embedding: "cohere-v3", displayName: "Cohere Embed English v3", bedrockId: "cohere.embed-english-v3", api: "embedding", geos: [], price: { input: 0.1, output: 0 }, contextWindow: 512, maxOutput: 0, released: "2023-11-02" },
  { name: "cohere-embed-multilingual-v3", embedding: "cohere-v3", displayName: "Cohere Embed Multilingual v3", bedrockId: "cohere.embed-multilingual-v3", api: "embedding", geos: [], price: { input: 0.1, output: 0 }, contextWindow: 512, maxOutput: 0, released: "2023-11-02" },
  { name: "cohere-embed-v4", embedding: "cohere-v4", displayName: "Cohere Embed v4", bedrockId: "cohere.embed-v4:0", api: "embedding", geos: [], price: { input: 0.12, output: 0 }, contextWindow: 128_000, maxOutput: 0, released: "2025-04-15", verified: false },
];
