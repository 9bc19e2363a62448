// Claude on InvokeModel / InvokeModelWithResponseStream (BEDROCK_WIRE §2): body validation with Bedrock's wording,
// the non-streaming Message, and the Anthropic stream event sequence carried in `chunk` frames.
import type { ClaudeRules } from "./config.ts";
import { malformed, validation } from "./errors.ts";
import { chunkFrame } from "./frames.ts";
import { toolResultText, type ConversationView } from "./magic.ts";
import { randomId, splitIntoDeltas, splitJson, type AnswerPlan, type PlannedBlock } from "./plan.ts";
import type { CacheTtl, Segment, UsageNumbers } from "./tokens.ts";

/** LiteLLM's Bedrock whitelist (BEDROCK_WIRE §9.4) plus fine-grained-tool-streaming, which Vercel's AI SDK sends. */
export const DEFAULT_KNOWN_BETAS: readonly string[] = [
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "computer-use-2025-11-24",
  "token-efficient-tools-2025-02-19",
  "interleaved-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "dev-full-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
  "compact-2026-01-12",
  "fine-grained-tool-streaming-2025-05-14",
];

const ALLOWED_TOP_LEVEL = new Set([
  "anthropic_version", "max_tokens", "messages", "anthropic_beta", "system", "stop_sequences", "temperature", "top_p",
  "top_k", "tools", "tool_choice", "thinking", "metadata", "output_config", "context_management",
]);
const CLIENT_TOOL_KEYS = new Set([
  "name", "description", "input_schema", "cache_control", "type", "strict", "input_examples", "eager_input_streaming",
]);
const MAX_CACHE_BREAKPOINTS = 4;

export interface ClaudeRequest {
  anthropic_version: string;
  max_tokens: number;
  messages: Array<{ role: "user" | "assistant"; content: string | Array<Record<string, unknown>> }>;
  system?: string | Array<Record<string, unknown>>;
  tools?: Array<Record<string, unknown>>;
  anthropic_beta?: string[];
  [key: string]: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** The type names Bedrock's JSON-schema validator (everit) uses in "expected type: X, found: Y". */
export const jsonType = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "JSONArray" : isObject(v) ? "JSONObject" : typeof v === "number" ? (Number.isInteger(v) ? "Integer" : "BigDecimal") : typeof v === "string" ? "String" : "Boolean";

/**
 * Throws an AwsError (400 ValidationException) with Bedrock's wording for the first problem found. `rules` carries
 * the runtime settings (accepted betas, keys a stricter Bedrock refuses).
 */
export function validateClaudeBody(body: unknown, rules: ClaudeRules): asserts body is ClaudeRequest {
  if (!isObject(body)) throw malformed(`#: expected type: JSONObject, found: ${jsonType(body)}`);

  // Bedrock validates against a JSON schema first and lists every extraneous key. With `model`/`stream` the message
  // starts with the clause AWS really sends (BEDROCK_WIRE §2.1). Keys refused by configuration read the same way,
  // because that is how a Bedrock whose schema lacks them answers.
  const extraneous = Object.keys(body).filter((k) => !ALLOWED_TOP_LEVEL.has(k) || rules.rejectTopLevelKeys.has(k));
  if (extraneous.length > 0) {
    const ordered = [...["stream", "model"].filter((k) => extraneous.includes(k)), ...extraneous.filter((k) => k !== "stream" && k !== "model")];
    const prefix = ordered.includes("stream") || ordered.includes("model") ? `#: subject must not be valid against schema {"required":["messages"]}` : "";
    throw malformed(prefix + ordered.map((k) => `#: extraneous key [${k}] is not permitted`).join(""));
  }
  for (const key of ["anthropic_version", "max_tokens", "messages"]) {
    if (!(key in body)) throw malformed(`#: required key [${key}] not found`);
  }
  if (body.anthropic_version !== "bedrock-2023-05-31") {
    throw malformed(`#/anthropic_version: ${String(body.anthropic_version)} is not a valid enum value`);
  }
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens)) {
    throw malformed(`#/max_tokens: expected type: Integer, found: ${jsonType(body.max_tokens)}`);
  }
  if (body.max_tokens < 1) throw malformed(`#/max_tokens: ${body.max_tokens} is not greater or equal to 1`);

  validateBetas(body.anthropic_beta, rules.knownBetas);
  validateMessages(body.messages);
  validateSystem(body.system);
  validateTools(body.tools);
  validateCacheControls(body as ClaudeRequest);
  validateContextManagement(body.context_management);
  validateOutputConfig(body.output_config, rules.rejectOutputConfigKeys);
}

/** Only the keys a configured stricter Bedrock refuses are checked; the emulator has no opinion on the rest. */
function validateOutputConfig(outputConfig: unknown, rejected: ReadonlySet<string>): void {
  if (!isObject(outputConfig)) return;
  for (const key of Object.keys(outputConfig)) {
    if (rejected.has(key)) throw validation(`output_config.${key}: Extra inputs are not permitted`);
  }
}

/** Bedrock accepts only the compaction edit; Claude Code sends clear_thinking_20251015 on every request (§2.1). */
function validateContextManagement(cm: unknown): void {
  if (cm === undefined) return;
  const edits = isObject(cm) ? cm.edits : undefined;
  if (edits === undefined) return;
  if (!Array.isArray(edits)) throw validation("context_management.edits: Input should be a valid list");
  edits.forEach((edit: unknown, i) => {
    const type = isObject(edit) ? edit.type : undefined;
    if (type !== "compact_20260112") {
      throw validation(
        `context_management.edits.${i}: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: 'compact_20260112'`,
      );
    }
  });
}

/** Also used for Converse's `additionalModelRequestFields.anthropic_beta`, which Bedrock passes to Claude. */
export function validateBetas(betas: unknown, knownBetas: ReadonlySet<string>): void {
  if (betas === undefined) return;
  if (!Array.isArray(betas)) throw malformed(`#/anthropic_beta: expected type: JSONArray, found: ${jsonType(betas)}`);
  for (const beta of betas) {
    // Bedrock answers just "invalid beta flag"; naming the flag keeps that prefix and makes test failures readable.
    if (typeof beta !== "string" || !knownBetas.has(beta)) throw validation(`invalid beta flag: ${String(beta)}`);
  }
}

function validateMessages(messages: unknown): void {
  if (!Array.isArray(messages)) throw malformed(`#/messages: expected type: JSONArray, found: ${jsonType(messages)}`);
  if (messages.length === 0) throw validation("messages: at least one message is required");
  messages.forEach((m: unknown, i) => {
    if (!isObject(m)) throw malformed(`#/messages/${i}: expected type: JSONObject, found: ${jsonType(m)}`);
    if (!("role" in m)) throw malformed(`#/messages/${i}: required key [role] not found`);
    if (m.role !== "user" && m.role !== "assistant") throw malformed(`#/messages/${i}/role: ${String(m.role)} is not a valid enum value`);
    for (const key of Object.keys(m)) {
      if (key !== "role" && key !== "content") throw validation(`messages.${i}.${key}: Extra inputs are not permitted`);
    }
    if (typeof m.content === "string") return;
    if (!Array.isArray(m.content)) throw validation(`messages.${i}.content: Input should be a valid list`);
    m.content.forEach((block: unknown, j) => {
      if (!isObject(block) || typeof block.type !== "string") throw validation(`messages.${i}.content.${j}.type: Field required`);
    });
  });
}

function validateSystem(system: unknown): void {
  if (system === undefined || typeof system === "string") return;
  if (!Array.isArray(system)) throw validation("system: Input should be a valid list");
  system.forEach((block: unknown, j) => {
    if (!isObject(block) || block.type !== "text" || typeof block.text !== "string") {
      throw validation(`system.${j}: Input should be a valid dictionary with type 'text' and a string 'text'`);
    }
  });
}

function validateTools(tools: unknown): void {
  if (tools === undefined) return;
  if (!Array.isArray(tools)) throw malformed(`#/tools: expected type: JSONArray, found: ${jsonType(tools)}`);
  tools.forEach((tool: unknown, i) => {
    if (!isObject(tool)) throw validation(`tools.${i}: Input should be a valid dictionary`);
    const isClientTool = tool.type === undefined || tool.type === "custom";
    for (const key of Object.keys(tool)) {
      // Same wording as Bedrock's reply to Claude Code's deferred tools: "tools.11.custom.defer_loading: Extra inputs…"
      const bad = isClientTool ? !CLIENT_TOOL_KEYS.has(key) : key === "custom" || key === "defer_loading";
      if (bad) throw validation(`tools.${i}.${isClientTool ? "custom" : String(tool.type)}.${key}: Extra inputs are not permitted`);
    }
    if (isClientTool && typeof tool.name !== "string") throw validation(`tools.${i}.custom.name: Field required`);
    if (isClientTool && !isObject(tool.input_schema)) throw validation(`tools.${i}.custom.input_schema: Field required`);
  });
}

/** Every place a cache_control may sit, with the path Anthropic's validator names in its messages. */
function* cacheControlSites(body: ClaudeRequest): Generator<[string, Record<string, unknown>]> {
  for (const [i, tool] of (body.tools ?? []).entries()) yield [`tools.${i}`, tool];
  if (Array.isArray(body.system)) for (const [j, b] of body.system.entries()) yield [`system.${j}`, b];
  for (const [i, m] of body.messages.entries()) {
    if (!Array.isArray(m.content)) continue;
    for (const [j, b] of m.content.entries()) {
      yield [`messages.${i}.content.${j}`, b];
      if (Array.isArray(b.content)) {
        for (const [k, inner] of (b.content as unknown[]).entries()) if (isObject(inner)) yield [`messages.${i}.content.${j}.content.${k}`, inner];
      }
    }
  }
}

function validateCacheControls(body: ClaudeRequest): void {
  let count = 0;
  for (const [path, site] of cacheControlSites(body)) {
    const cc = site.cache_control;
    if (cc === undefined) continue;
    count++;
    if (!isObject(cc)) throw validation(`${path}.cache_control: Input should be a valid dictionary`);
    for (const key of Object.keys(cc)) {
      if (key !== "type" && key !== "ttl") throw validation(`${path}.cache_control.${key}: Extra inputs are not permitted`);
    }
    if (cc.type !== "ephemeral") throw validation(`${path}.cache_control.type: Input should be 'ephemeral'`);
    if (cc.ttl !== undefined && cc.ttl !== "5m" && cc.ttl !== "1h") throw validation(`${path}.cache_control.ttl: Input should be '5m' or '1h'`);
  }
  if (count > MAX_CACHE_BREAKPOINTS) {
    throw validation(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${count}.`);
  }
}

/** Cache prefix order is tools → system → messages, as on Anthropic's API. */
export function claudeSegments(body: ClaudeRequest): Segment[] {
  const segment = (value: unknown): Segment => {
    const cc = isObject(value) && isObject(value.cache_control) ? value.cache_control : undefined;
    if (!cc) return { json: JSON.stringify(value) };
    const { cache_control: _marker, ...content } = value as Record<string, unknown>;
    return { json: JSON.stringify(value), breakpoint: (cc.ttl === "1h" ? "1h" : "5m") as CacheTtl, cacheKey: JSON.stringify(content) };
  };
  const out: Segment[] = (body.tools ?? []).map(segment);
  if (typeof body.system === "string") out.push(segment(body.system));
  else if (Array.isArray(body.system)) out.push(...body.system.map(segment));
  for (const m of body.messages) {
    if (typeof m.content === "string") out.push(segment(m.content));
    else out.push(...m.content.map(segment));
  }
  return out;
}

export function claudeConversationView(body: ClaudeRequest): ConversationView {
  const last = body.messages[body.messages.length - 1];
  const lastBlocks = last && Array.isArray(last.content) ? last.content : [];
  const toolResult = last?.role === "user" ? lastBlocks.find((b) => b.type === "tool_result") : undefined;
  const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
  const texts =
    lastUser === undefined
      ? []
      : typeof lastUser.content === "string"
        ? [lastUser.content]
        : lastUser.content.filter((b) => b.type === "text" && typeof b.text === "string").map((b) => b.text as string);
  return { lastToolResult: toolResult ? toolResultText(toolResult.content) : null, lastUserTexts: texts };
}

/** Ids are assigned once per answer so the streamed and non-streamed forms could be compared. */
export interface ClaudeAnswer {
  plan: AnswerPlan;
  usage: UsageNumbers;
  model: string;
  messageId: string;
  toolIds: string[];
}

export function newClaudeAnswer(plan: AnswerPlan, usage: UsageNumbers, model: string): ClaudeAnswer {
  return { plan, usage, model, messageId: randomId("msg_bdrk_01"), toolIds: plan.blocks.map(() => randomId("toolu_bdrk_01")) };
}

function contentBlock(block: PlannedBlock, id: string): Record<string, unknown> {
  switch (block.type) {
    case "thinking":
      return { type: "thinking", thinking: block.text, signature: block.signature };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: block.data };
    case "text":
      return { type: "text", text: block.text };
    case "tool_use":
      return { type: "tool_use", id, name: block.name, input: block.input };
  }
}

/** Anthropic's usage object with the per-TTL cache-write breakdown, as in both the Message and message_start. */
function claudeUsage(usage: UsageNumbers, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.cacheWriteTokens - usage.cacheWrite1hTokens,
      ephemeral_1h_input_tokens: usage.cacheWrite1hTokens,
    },
    output_tokens: outputTokens,
  };
}

export function claudeMessage(a: ClaudeAnswer): Record<string, unknown> {
  return {
    model: a.model,
    id: a.messageId,
    type: "message",
    role: "assistant",
    content: a.plan.blocks.map((b, i) => contentBlock(b, a.toolIds[i] ?? "")),
    stop_reason: a.plan.stopReason,
    stop_sequence: null,
    usage: claudeUsage(a.usage, a.usage.outputTokens),
  };
}

export interface StreamTiming {
  startedAt: number;
  firstByteAt: number | null;
}

/** Lazily encoded frames: events are built and encoded only when written, so long streams stay cheap in memory. */
export function claudeStreamFrames(a: ClaudeAnswer, timing: StreamTiming): Array<() => Uint8Array> {
  const frames: Array<() => Uint8Array> = [];
  const push = (event: () => unknown) => frames.push(() => chunkFrame(event()));
  const { usage } = a;
  push(() => ({
    type: "message_start",
    message: {
      model: a.model,
      id: a.messageId,
      type: "message",
      role: "assistant",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: claudeUsage(usage, 1),
    },
  }));
  a.plan.blocks.forEach((block, index) => {
    if (block.type === "thinking") {
      push(() => ({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } }));
      for (const piece of splitIntoDeltas(block.text)) {
        push(() => ({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: piece } }));
      }
      push(() => ({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } }));
    } else if (block.type === "redacted_thinking") {
      // The whole block arrives in its start event; no deltas (as on Anthropic's API).
      push(() => ({ type: "content_block_start", index, content_block: { type: "redacted_thinking", data: block.data } }));
    } else if (block.type === "text") {
      push(() => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      for (const piece of splitIntoDeltas(block.text)) {
        push(() => ({ type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }));
      }
    } else {
      const id = a.toolIds[index] ?? "";
      push(() => ({ type: "content_block_start", index, content_block: { type: "tool_use", id, name: block.name, input: {} } }));
      // Bedrock opens every tool input with an empty fragment (see the captured fixture).
      for (const piece of ["", ...splitJson(JSON.stringify(block.input ?? {}))]) {
        push(() => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } }));
      }
    }
    push(() => ({ type: "content_block_stop", index }));
  });
  push(() => ({
    type: "message_delta",
    delta: { stop_reason: a.plan.stopReason, stop_sequence: null },
    usage: { output_tokens: usage.outputTokens },
  }));
  push(() => {
    const now = Date.now();
    const metrics: Record<string, number> = {
      inputTokenCount: usage.inputTokens,
      outputTokenCount: usage.outputTokens,
      invocationLatency: now - timing.startedAt,
      firstByteLatency: (timing.firstByteAt ?? now) - timing.startedAt,
    };
    if (usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0) {
      metrics.cacheReadInputTokenCount = usage.cacheReadTokens;
      metrics.cacheWriteInputTokenCount = usage.cacheWriteTokens;
    }
    return { type: "message_stop", "amazon-bedrock-invocationMetrics": metrics };
  });
  return frames;
}
