// Anthropic Messages request → Bedrock InvokeModel body (BEDROCK_WIRE.md §2.1, §9.3). Pure: no I/O, and the
// input is never mutated. Only the parts that change are copied; untouched subtrees (message text, images,
// tool schemas) are shared with the input, so treat both objects as read-only afterwards.
//
// The policy is "drop what Bedrock would reject, never fail the request": Bedrock answers a stray field with a
// 400 the client cannot fix, whereas a dropped hint (cache scope, an unsupported context edit) costs little.

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

/** Top-level keys Bedrock's Claude InvokeModel accepts; anything else is a 400 "Extra inputs are not permitted". */
const ALLOWED_TOP_LEVEL = [
  "max_tokens",
  "messages",
  "system",
  "stop_sequences",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "metadata",
  "output_config",
  "context_management",
] as const;

/** The only context_management edit Bedrock accepts (with the compact-2026-01-12 beta). */
const BEDROCK_CONTEXT_EDITS = new Set(["compact_20260112"]);

export interface BedrockModelSupport {
  supportsCaching: boolean;
  supportsCacheTtl: boolean;
  supportsOutputConfig: boolean;
}

export interface InvokeBodyOptions {
  /** Beta flags already split from the anthropic-beta header and filtered to what the model accepts. */
  betas: string[];
  model: BedrockModelSupport;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** anthropic-beta header value(s) → flags: comma-split, trimmed, no empties, first occurrence kept. */
export function splitBetaHeader(values: string | null | undefined): string[] {
  if (!values) return [];
  const seen = new Set<string>();
  for (const part of values.split(",")) {
    const flag = part.trim();
    if (flag) seen.add(flag);
  }
  return [...seen];
}

export function toBedrockInvokeBody(req: Record<string, unknown>, opts: InvokeBodyOptions): Record<string, unknown> {
  const model = opts.model;
  // The version is ours to set: clients send "2023-06-01" or "2026-10-21", which Bedrock models may reject.
  const out: Json = { anthropic_version: BEDROCK_ANTHROPIC_VERSION };
  if (opts.betas.length > 0) out.anthropic_beta = [...opts.betas];
  for (const key of ALLOWED_TOP_LEVEL) {
    if (req[key] !== undefined) out[key] = req[key];
  }

  // Claude Code puts role:"system" turns inside `messages`; Bedrock accepts only user/assistant there.
  if (Array.isArray(out.messages)) hoistSystemMessages(out);

  if (out.system !== undefined) out.system = sanitizeSystem(out.system, model);
  if (Array.isArray(out.messages)) out.messages = out.messages.map((m) => sanitizeMessage(m, model));
  if (Array.isArray(out.tools)) out.tools = out.tools.map((t) => sanitizeTool(t, model));

  if (!model.supportsOutputConfig) delete out.output_config;

  if (out.context_management !== undefined) {
    const cm = sanitizeContextManagement(out.context_management);
    if (cm) out.context_management = cm;
    else delete out.context_management;
  }
  return out;
}

/**
 * Moves role:"system" messages out of `messages` and appends their text to the top-level `system` blocks —
 * after the existing ones, so the cached prefix (tools → system → messages) up to the existing breakpoints is
 * unchanged. The first such message's `output_config` is lifted when the request has none of its own.
 */
function hoistSystemMessages(out: Json): void {
  const messages = out.messages as unknown[];
  if (!messages.some((m) => isRecord(m) && m.role === "system")) return;

  const kept: unknown[] = [];
  const hoisted: Json[] = [];
  let liftedOutputConfig: unknown;
  for (const m of messages) {
    if (!isRecord(m) || m.role !== "system") {
      kept.push(m);
      continue;
    }
    hoisted.push(...systemTextBlocks(m.content));
    if (liftedOutputConfig === undefined && m.output_config !== undefined) liftedOutputConfig = m.output_config;
  }
  out.messages = kept;
  if (out.output_config === undefined && liftedOutputConfig !== undefined) out.output_config = liftedOutputConfig;
  if (hoisted.length === 0) return;

  const existing = out.system;
  let blocks: unknown[];
  if (existing === undefined || existing === null || existing === "") blocks = [];
  else if (typeof existing === "string") blocks = [{ type: "text", text: existing }];
  else if (Array.isArray(existing)) blocks = [...existing];
  else blocks = [existing];
  out.system = [...blocks, ...hoisted];
}

/** The text of a system-role message as system blocks. Empty text is skipped: Bedrock rejects empty blocks. */
function systemTextBlocks(content: unknown): Json[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) return [];
  const blocks: Json[] = [];
  for (const b of content) {
    if (typeof b === "string" && b) blocks.push({ type: "text", text: b });
    else if (isRecord(b) && b.type === "text" && typeof b.text === "string" && b.text) {
      const block: Json = { type: "text", text: b.text };
      if (b.cache_control !== undefined) block.cache_control = b.cache_control;
      blocks.push(block);
    }
  }
  return blocks;
}

/**
 * Bedrock rejects `cache_control.scope`, and `ttl` on models before Claude 4.5; models without prompt caching
 * reject `cache_control` altogether. Returns `undefined` when the key must go.
 */
function sanitizeCacheControl(cc: unknown, model: BedrockModelSupport): unknown {
  if (!model.supportsCaching) return undefined;
  if (!isRecord(cc)) return cc;
  if (!("scope" in cc) && (model.supportsCacheTtl || !("ttl" in cc))) return cc;
  const copy: Json = { ...cc };
  delete copy.scope;
  if (!model.supportsCacheTtl) delete copy.ttl;
  return copy;
}

/** Copy-on-write cache_control fix-up for any block that may carry one. */
function sanitizeCacheHolder(block: unknown, model: BedrockModelSupport): unknown {
  if (!isRecord(block) || !("cache_control" in block)) return block;
  const cc = sanitizeCacheControl(block.cache_control, model);
  if (cc === block.cache_control) return block;
  const copy: Json = { ...block };
  if (cc === undefined) delete copy.cache_control;
  else copy.cache_control = cc;
  return copy;
}

function sanitizeSystem(system: unknown, model: BedrockModelSupport): unknown {
  if (!Array.isArray(system)) return system;
  return system.map((b) => sanitizeCacheHolder(b, model));
}

function sanitizeMessage(message: unknown, model: BedrockModelSupport): unknown {
  if (!isRecord(message) || !Array.isArray(message.content)) return message;
  const content = message.content as unknown[];
  const fixed = content.map((block) => sanitizeContentBlock(block, model));
  if (fixed.every((b, i) => b === content[i])) return message;
  return { ...message, content: fixed };
}

/** Content blocks, plus the nested blocks of a tool_result (which may carry their own cache_control). */
function sanitizeContentBlock(block: unknown, model: BedrockModelSupport): unknown {
  let result = sanitizeCacheHolder(block, model);
  if (isRecord(result) && result.type === "tool_result" && Array.isArray(result.content)) {
    const inner = result.content as unknown[];
    const fixed = inner.map((b) => sanitizeCacheHolder(b, model));
    if (!fixed.every((b, i) => b === inner[i])) result = { ...result, content: fixed };
  }
  return result;
}

/**
 * Claude Code marks tools `defer_loading` (tool search) and older versions send `custom: {defer_loading}`;
 * Bedrock rejects both keys ("Extra inputs are not permitted").
 */
function sanitizeTool(tool: unknown, model: BedrockModelSupport): unknown {
  let result = sanitizeCacheHolder(tool, model);
  if (isRecord(result) && ("custom" in result || "defer_loading" in result)) {
    const copy: Json = { ...result };
    delete copy.custom;
    delete copy.defer_loading;
    result = copy;
  }
  return result;
}

/** Keeps only the edits Bedrock supports; `undefined` when nothing is left to send. */
function sanitizeContextManagement(cm: unknown): Json | undefined {
  if (!isRecord(cm)) return undefined;
  if (!Array.isArray(cm.edits)) return cm;
  const edits = cm.edits.filter((e) => isRecord(e) && typeof e.type === "string" && BEDROCK_CONTEXT_EDITS.has(e.type));
  if (edits.length === 0) return undefined;
  return { ...cm, edits };
}
