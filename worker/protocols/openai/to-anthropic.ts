// OpenAI chat.completions request → Anthropic Messages request, for Claude models called through Bedrock
// InvokeModel (the input of toBedrockInvokeBody, which later removes `model` and `stream`). Pure: no I/O, the
// input is never mutated. Anything that cannot be expressed faithfully is a TranslationError (a 400 naming the
// OpenAI parameter); lossy-but-harmless adjustments are reported in `warnings` for the route to log.
//
// Choices worth knowing (each also noted where it happens):
//   * system/developer messages become top-level `system` blocks in order, even mid-conversation (Claude has
//     no system role inside `messages`; the position is lost, the text is not).
//   * Anthropic requires user/assistant alternation: consecutive same-role messages merge, and `tool` messages
//     become tool_result blocks at the front of the user turn that follows the assistant's tool calls.
//   * A conversation whose first turn is the assistant's is refused (Bedrock rejects it); no text is invented.
//   * http(s) images are not fetched here: they become URL-source placeholders listed in `imageUrls`; the route
//     downloads them and calls `inlineImages`.
//   * response_format json_schema is the forced-tool technique (Bedrock refuses `output_format`): a tool named
//     after the schema is forced, and the response side turns its input back into JSON text.
//   * reasoning_effort becomes a thinking budget (REASONING_BUDGETS).

import { TranslationError } from "./errors.ts";
import type { ChatMessage, OpenAIChatRequest } from "./types.ts";
import { checkUnsupported, isPdfFileData } from "./unsupported.ts";
import { own } from "../../util/own.ts";

export interface ToAnthropicOptions {
  /** The model name the client asked for (kept as `model`; the route picks the Bedrock ID). */
  model: string;
  /** max_tokens when the client sends neither max_completion_tokens nor max_tokens (Anthropic requires one). */
  maxTokensDefault: number;
  /** Whether the model accepts `thinking` (reasoning_effort is refused otherwise). */
  supportsThinking: boolean;
}

export interface JsonModeInfo {
  /** The forced tool whose input is the JSON answer. */
  toolName: string;
}

export interface AnthropicTranslation {
  /** Anthropic Messages request, with `model` and `stream` set. */
  body: Record<string, unknown>;
  /** Lossy adjustments made (for logging; the request still went through). */
  warnings: string[];
  /** http(s) image URLs to download and hand to `inlineImages`, in first-seen order, without duplicates. */
  imageUrls: string[];
  /** Set when response_format is json_schema: the response side must turn this tool's input into content. */
  jsonMode: JsonModeInfo | null;
  /** stream_options.include_usage: the stream must end with a usage chunk. */
  includeUsage: boolean;
}

/**
 * reasoning_effort → thinking budget_tokens. "minimal" and "none" mean no thinking (the smallest budget Claude
 * accepts, 1024, is already more than "minimal" suggests). Budgets are in Claude's output tokens, which — as
 * with OpenAI's reasoning tokens — count toward max_tokens.
 */
export const REASONING_BUDGETS: Readonly<Record<string, number | null>> = {
  none: null,
  minimal: null,
  low: 2048,
  medium: 8192,
  high: 16384,
};

/** Head-room kept for the visible answer when max_tokens has to be raised above the thinking budget. */
const ANSWER_HEADROOM = 1024;

/** Image media types Claude accepts. */
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

const JSON_OBJECT_INSTRUCTION = "Respond with a single JSON object.";

type Json = Record<string, unknown>;
type Block = Json;

interface Context {
  warnings: string[];
  imageUrls: string[];
}

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function openAIToAnthropic(req: OpenAIChatRequest, opts: ToAnthropicOptions): AnthropicTranslation {
  // Self-contained: a caller that skipped checkUnsupported still gets the same 400.
  const unsupported = checkUnsupported(req);
  if (unsupported) throw new TranslationError(unsupported.param, unsupported.message);
  if (!Array.isArray(req.messages)) throw new TranslationError("messages", "messages: must be an array of messages.");

  const ctx: Context = { warnings: [], imageUrls: [] };
  const { system, turns } = translateMessages(req.messages, ctx);

  const body: Json = { model: opts.model };
  const maxTokens = maxTokensOf(req, opts.maxTokensDefault);
  body.max_tokens = maxTokens;
  body.messages = turns;

  const tools = translateTools(req.tools, ctx);
  let toolChoice = translateToolChoice(req.tool_choice, tools);

  // response_format
  let jsonMode: JsonModeInfo | null = null;
  const rf = req.response_format;
  if (present(rf)) {
    if (!isRecord(rf) || typeof rf.type !== "string") {
      throw new TranslationError("response_format", "response_format: must be an object with a `type`.");
    }
    if (rf.type === "json_schema") {
      const forced = jsonSchemaTool(rf.json_schema, tools, ctx);
      tools.push(forced);
      if (toolChoice && toolChoice.type !== "auto") {
        ctx.warnings.push("tool_choice was overridden by response_format json_schema (the schema tool is forced)");
      } else if (tools.length > 1) {
        ctx.warnings.push("response_format json_schema forces the schema tool, so the other tools will not be called");
      }
      toolChoice = { type: "tool", name: forced.name };
      jsonMode = { toolName: forced.name as string };
    } else if (rf.type === "json_object") {
      // Claude has no JSON mode on Bedrock; an instruction is the documented fallback.
      system.push({ type: "text", text: JSON_OBJECT_INSTRUCTION });
    } else if (rf.type !== "text") {
      throw new TranslationError("response_format.type", `response_format.type: "${rf.type}" is not supported (use "text", "json_object" or "json_schema").`);
    }
  }

  // parallel_tool_calls:false is a flag on Anthropic's tool_choice (not meaningful for "none").
  if (req.parallel_tool_calls === false && tools.length > 0) {
    toolChoice ??= { type: "auto" };
    if (toolChoice.type !== "none") toolChoice = { ...toolChoice, disable_parallel_tool_use: true };
  }

  if (system.length > 0) body.system = system;
  if (present(req.temperature)) body.temperature = numberParam(req.temperature, "temperature", 0, 1);
  if (present(req.top_p)) body.top_p = numberParam(req.top_p, "top_p", 0, 1);
  if (present(req.top_k)) {
    const k = req.top_k;
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0) throw new TranslationError("top_k", "top_k: must be a non-negative integer.");
    body.top_k = k;
  }
  const stop = stopSequences(req.stop);
  if (stop) body.stop_sequences = stop;
  if (tools.length > 0) body.tools = tools;
  if (toolChoice) body.tool_choice = toolChoice;

  applyReasoningEffort(req, body, opts, maxTokens, ctx);

  const user = typeof req.user === "string" && req.user ? req.user : typeof req.safety_identifier === "string" && req.safety_identifier ? req.safety_identifier : undefined;
  if (user) body.metadata = { user_id: user };

  const stream = req.stream === true;
  body.stream = stream;
  const includeUsage = stream && isRecord(req.stream_options) && req.stream_options.include_usage === true;

  return { body, warnings: ctx.warnings, imageUrls: ctx.imageUrls, jsonMode, includeUsage };
}

// ─── messages ────────────────────────────────────────────────────────────────────────────────────────────────

interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

function translateMessages(messages: unknown[], ctx: Context): { system: Block[]; turns: Turn[] } {
  const system: Block[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn["role"], blocks: Block[]): void => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  for (let i = 0; i < messages.length; i++) {
    const path = `messages[${i}]`;
    const raw = messages[i];
    if (!isRecord(raw) || typeof raw.role !== "string") throw new TranslationError(path, `${path}: must be an object with a role.`);
    const m = raw as ChatMessage;
    if (typeof m.name === "string" && m.name) ctx.warnings.push(`${path}.name dropped (Claude has no participant names)`);

    let blocks: Block[];
    switch (m.role) {
      case "system":
      case "developer": {
        // Hoisted: Claude only has a top-level system prompt.
        if (turns.length > 0) ctx.warnings.push(`${path} (${m.role}) appears mid-conversation; moved to the system prompt`);
        system.push(...withMessageCache(systemBlocks(m.content, path), m));
        continue;
      }
      case "user":
        blocks = withMessageCache(contentBlocks(m.content, `${path}.content`, ctx), m);
        break;
      case "tool":
        blocks = [toolResultBlock(m, path, ctx)];
        break;
      case "assistant":
        blocks = withMessageCache(assistantBlocks(m, path, ctx), m);
        break;
      default:
        throw new TranslationError(`${path}.role`, `${path}.role: "${m.role}" is not supported (use system, developer, user, assistant or tool).`);
    }
    if (blocks.length === 0) {
      // Anthropic rejects empty messages; an empty turn carries nothing anyway.
      ctx.warnings.push(`${path} has no content and was skipped`);
      continue;
    }
    push(m.role === "assistant" ? "assistant" : "user", blocks);
  }

  const first = turns[0];
  if (!first) throw new TranslationError("messages", "messages: at least one user message is required.");
  if (first.role !== "user") {
    throw new TranslationError(
      "messages",
      "messages: the first non-system message must come from the user (Claude rejects conversations that start with the assistant).",
    );
  }
  for (const turn of turns) {
    // Anthropic requires tool_result blocks to lead the user turn that answers the tool calls.
    if (turn.role === "user") turn.content = [...turn.content.filter(isToolResult), ...turn.content.filter((b) => !isToolResult(b))];
  }
  return { system, turns };
}

function isToolResult(b: Block): boolean {
  return b.type === "tool_result";
}

/** Message-level cache_control (LiteLLM) marks the message's last block, unless that block has its own. */
function withMessageCache(blocks: Block[], m: ChatMessage): Block[] {
  const last = blocks[blocks.length - 1];
  if (!present(m.cache_control) || !last || present(last.cache_control)) return blocks;
  return [...blocks.slice(0, -1), { ...last, cache_control: m.cache_control }];
}

function withPartCache(block: Block, part: Json): Block {
  return present(part.cache_control) ? { ...block, cache_control: part.cache_control } : block;
}

/** System/developer content: text only. Empty text is skipped (Bedrock rejects empty blocks). */
function systemBlocks(content: unknown, path: string): Block[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) throw new TranslationError(`${path}.content`, `${path}.content: must be a string or an array of text parts.`);
  const blocks: Block[] = [];
  content.forEach((part: unknown, j) => {
    if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") {
      throw new TranslationError(`${path}.content[${j}]`, `${path}.content[${j}]: system and developer messages may only contain text parts.`);
    }
    if (part.text) blocks.push(withPartCache({ type: "text", text: part.text }, part));
  });
  return blocks;
}

/** User (and tool) content: text, images and PDF files. */
function contentBlocks(content: unknown, path: string, ctx: Context): Block[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) throw new TranslationError(path, `${path}: must be a string or an array of content parts.`);
  const blocks: Block[] = [];
  content.forEach((part: unknown, j) => {
    const partPath = `${path}[${j}]`;
    if (!isRecord(part)) throw new TranslationError(partPath, `${partPath}: must be a content part object.`);
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw new TranslationError(`${partPath}.text`, `${partPath}.text: must be a string.`);
        if (part.text) blocks.push(withPartCache({ type: "text", text: part.text }, part));
        return;
      case "image_url":
        blocks.push(withPartCache(imageBlock(part, partPath, ctx), part));
        return;
      case "file":
        blocks.push(withPartCache(documentBlock(part, partPath), part));
        return;
      default:
        throw new TranslationError(`${partPath}.type`, `${partPath}.type: content part "${String(part.type)}" is not supported here.`);
    }
  });
  return blocks;
}

function imageBlock(part: Json, path: string, ctx: Context): Block {
  const iu = part.image_url;
  const url = typeof iu === "string" ? iu : isRecord(iu) && typeof iu.url === "string" ? iu.url : undefined;
  if (!url) throw new TranslationError(`${path}.image_url`, `${path}.image_url: must have a url.`);
  if (url.startsWith("data:")) {
    const match = /^data:([^;,]+)(?:;[^,]*)?;base64,/i.exec(url);
    if (!match) throw new TranslationError(`${path}.image_url`, `${path}.image_url: data URLs must be base64-encoded (data:image/png;base64,…).`);
    let mediaType = match[1]!.toLowerCase();
    if (mediaType === "image/jpg") mediaType = "image/jpeg";
    if (!IMAGE_TYPES.has(mediaType)) {
      throw new TranslationError(`${path}.image_url`, `${path}.image_url: image type "${mediaType}" is not supported (use JPEG, PNG, GIF or WebP).`);
    }
    return { type: "image", source: { type: "base64", media_type: mediaType, data: url.slice(match[0].length) } };
  }
  if (/^https?:\/\//i.test(url)) {
    // Placeholder until the route downloads it (Bedrock cannot fetch URLs): see inlineImages.
    if (!ctx.imageUrls.includes(url)) ctx.imageUrls.push(url);
    return { type: "image", source: { type: "url", url } };
  }
  throw new TranslationError(`${path}.image_url`, `${path}.image_url: only data: and http(s): URLs are supported.`);
}

/** PDF file parts (checkUnsupported has already refused everything else). */
function documentBlock(part: Json, path: string): Block {
  const file = isRecord(part.file) ? part.file : {};
  const data = file.file_data;
  if (typeof data !== "string" || !isPdfFileData(data, file.filename)) {
    throw new TranslationError(`${path}.file`, `${path}.file: only inline PDF documents are supported.`);
  }
  const base64 = data.startsWith("data:") ? data.slice(data.indexOf(",") + 1) : data;
  return { type: "document", source: { type: "base64", media_type: "application/pdf", data: base64 } };
}

/** Anthropic tool ids must match ^[a-zA-Z0-9_-]+$; ids from other providers may not. Mapped the same on both sides. */
function anthropicToolId(id: unknown, path: string): string {
  if (typeof id !== "string" || !id) throw new TranslationError(path, `${path}: must be a non-empty string.`);
  return id.replace(/[^a-zA-Z0-9_-]/g, "_");
}

function toolResultBlock(m: ChatMessage, path: string, ctx: Context): Block {
  const block: Block = { type: "tool_result", tool_use_id: anthropicToolId(m.tool_call_id, `${path}.tool_call_id`) };
  if (typeof m.content === "string") {
    if (m.content) block.content = m.content;
  } else if (present(m.content)) {
    const inner = contentBlocks(m.content, `${path}.content`, ctx);
    // An empty result is sent without content: Bedrock rejects empty text blocks.
    if (inner.length > 0) block.content = inner;
  }
  return present(m.cache_control) ? { ...block, cache_control: m.cache_control } : block;
}

function assistantBlocks(m: ChatMessage, path: string, ctx: Context): Block[] {
  const blocks: Block[] = [];

  // Thinking first: Claude requires an assistant turn's thinking blocks to precede its text and tool calls.
  if (Array.isArray(m.thinking_blocks)) {
    m.thinking_blocks.forEach((tb: unknown, j) => {
      if (isRecord(tb) && tb.type === "thinking" && typeof tb.thinking === "string" && typeof tb.signature === "string" && tb.signature) {
        blocks.push({ type: "thinking", thinking: tb.thinking, signature: tb.signature });
      } else if (isRecord(tb) && tb.type === "redacted_thinking" && typeof tb.data === "string") {
        blocks.push({ type: "redacted_thinking", data: tb.data });
      } else {
        ctx.warnings.push(`${path}.thinking_blocks[${j}] dropped (thinking needs its signature to be sent back)`);
      }
    });
  } else if (typeof m.reasoning_content === "string" && m.reasoning_content) {
    ctx.warnings.push(`${path}.reasoning_content dropped (without thinking_blocks there is no signature to send back)`);
  }

  const content = m.content;
  if (typeof content === "string") {
    if (content) blocks.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      const partPath = `${path}.content[${j}]`;
      if (isRecord(part) && part.type === "text" && typeof part.text === "string") {
        if (part.text) blocks.push(withPartCache({ type: "text", text: part.text }, part));
      } else if (isRecord(part) && part.type === "refusal" && typeof part.refusal === "string") {
        if (part.refusal) blocks.push({ type: "text", text: part.refusal });
      } else {
        throw new TranslationError(partPath, `${partPath}: assistant messages may only contain text and refusal parts.`);
      }
    });
  } else if (present(content)) {
    throw new TranslationError(`${path}.content`, `${path}.content: must be a string, an array of parts, or null.`);
  }

  if (present(m.tool_calls)) {
    if (!Array.isArray(m.tool_calls)) throw new TranslationError(`${path}.tool_calls`, `${path}.tool_calls: must be an array.`);
    m.tool_calls.forEach((call: unknown, j) => blocks.push(toolUseBlock(call, `${path}.tool_calls[${j}]`)));
  }
  return blocks;
}

function toolUseBlock(call: unknown, path: string): Block {
  if (!isRecord(call) || (present(call.type) && call.type !== "function") || !isRecord(call.function)) {
    throw new TranslationError(path, `${path}: only function tool calls are supported.`);
  }
  const fn = call.function;
  if (typeof fn.name !== "string" || !fn.name) throw new TranslationError(`${path}.function.name`, `${path}.function.name: must be a non-empty string.`);
  const argsPath = `${path}.function.arguments`;
  const args = fn.arguments ?? "";
  if (typeof args !== "string") throw new TranslationError(argsPath, `${argsPath}: must be a JSON string.`);
  let input: unknown = {};
  if (args.trim() !== "") {
    try {
      input = JSON.parse(args);
    } catch (err) {
      throw new TranslationError(argsPath, `${argsPath}: is not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
  if (!isRecord(input)) throw new TranslationError(argsPath, `${argsPath}: must encode a JSON object (Claude tool inputs are objects).`);
  return { type: "tool_use", id: anthropicToolId(call.id, `${path}.id`), name: fn.name, input };
}

// ─── tools, sampling, thinking ───────────────────────────────────────────────────────────────────────────────

function translateTools(tools: unknown, ctx: Context): Block[] {
  if (!present(tools)) return [];
  if (!Array.isArray(tools)) throw new TranslationError("tools", "tools: must be an array.");
  return tools.map((t: unknown, i) => {
    const path = `tools[${i}]`;
    if (!isRecord(t) || t.type !== "function" || !isRecord(t.function)) {
      throw new TranslationError(`${path}.type`, `${path}.type: only function tools are supported.`);
    }
    const fn = t.function;
    if (typeof fn.name !== "string" || !fn.name) throw new TranslationError(`${path}.function.name`, `${path}.function.name: must be a non-empty string.`);
    const tool: Block = { name: fn.name };
    if (typeof fn.description === "string" && fn.description) tool.description = fn.description;
    tool.input_schema = objectSchema(fn.parameters, `${path}.function.parameters`);
    if (fn.strict === true) ctx.warnings.push(`${path}.function.strict dropped (Claude does not enforce strict schemas)`);
    return present(t.cache_control) ? { ...tool, cache_control: t.cache_control } : tool;
  });
}

/** Claude's input_schema must be an object schema; OpenAI allows omitting parameters (= no arguments). */
function objectSchema(schema: unknown, path: string): Json {
  if (!present(schema)) return { type: "object", properties: {} };
  if (!isRecord(schema)) throw new TranslationError(path, `${path}: must be a JSON Schema object.`);
  if (schema.type === undefined) return { type: "object", ...schema };
  if (schema.type !== "object") throw new TranslationError(path, `${path}: must describe an object (type "object").`);
  return schema;
}

function translateToolChoice(choice: unknown, tools: Block[]): Json | undefined {
  if (!present(choice)) return undefined;
  const names = new Set(tools.map((t) => t.name));
  if (choice === "auto" || choice === "none") return tools.length > 0 ? { type: choice } : undefined;
  if (choice === "required") {
    if (tools.length === 0) throw new TranslationError("tool_choice", 'tool_choice: "required" needs at least one tool in `tools`.');
    return { type: "any" };
  }
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function) && typeof choice.function.name === "string") {
    const name = choice.function.name;
    if (!names.has(name)) throw new TranslationError("tool_choice", `tool_choice: function "${name}" is not among the tools.`);
    return { type: "tool", name };
  }
  throw new TranslationError("tool_choice", 'tool_choice: must be "auto", "none", "required" or {"type":"function","function":{"name":…}}.');
}

function jsonSchemaTool(spec: unknown, tools: Block[], ctx: Context): Block {
  if (!isRecord(spec) || typeof spec.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) {
    throw new TranslationError("response_format.json_schema.name", "response_format.json_schema.name: must be 1–64 letters, digits, underscores or dashes.");
  }
  if (tools.some((t) => t.name === spec.name)) {
    throw new TranslationError("response_format.json_schema.name", `response_format.json_schema.name: "${spec.name}" clashes with a tool of the same name.`);
  }
  const tool: Block = { name: spec.name };
  tool.description = typeof spec.description === "string" && spec.description ? spec.description : "Respond with a JSON object that matches this schema.";
  tool.input_schema = present(spec.schema) ? objectSchema(spec.schema, "response_format.json_schema.schema") : { type: "object" };
  if (spec.strict === true) ctx.warnings.push("response_format.json_schema.strict dropped (Claude does not enforce strict schemas)");
  return tool;
}

function maxTokensOf(req: OpenAIChatRequest, fallback: number): number {
  for (const param of ["max_completion_tokens", "max_tokens"] as const) {
    const v = req[param];
    if (!present(v)) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new TranslationError(param, `${param}: must be a positive integer.`);
    return v;
  }
  return fallback;
}

function numberParam(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new TranslationError(param, `${param}: must be a number between ${min} and ${max} for Claude.`);
  }
  return v;
}

function stopSequences(stop: unknown): string[] | undefined {
  if (!present(stop)) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
    throw new TranslationError("stop", "stop: must be a string or an array of strings.");
  }
  return list.length > 0 ? list : undefined;
}

/**
 * reasoning_effort → `thinking`. Claude's thinking rules are checked here so the client gets a 400 naming its own
 * parameter: no sampling changes (temperature 1 only, top_p ≥ 0.95, no top_k) and no forced tool use.
 */
function applyReasoningEffort(req: OpenAIChatRequest, body: Json, opts: ToAnthropicOptions, maxTokens: number, ctx: Context): void {
  const effort = req.reasoning_effort;
  if (!present(effort)) return;
  // undefined: not an effort the table knows; null: an effort that asks for no thinking.
  const budget = typeof effort === "string" ? own(REASONING_BUDGETS, effort) : undefined;
  if (budget === undefined) {
    throw new TranslationError("reasoning_effort", `reasoning_effort: must be one of ${Object.keys(REASONING_BUDGETS).join(", ")}.`);
  }
  if (budget === null) return;
  if (!opts.supportsThinking) {
    throw new TranslationError("reasoning_effort", `reasoning_effort: model ${opts.model} does not support extended thinking.`);
  }
  if (present(body.temperature) && body.temperature !== 1) {
    throw new TranslationError("temperature", "temperature: cannot be changed when reasoning_effort enables thinking (only 1 is allowed).");
  }
  if (present(body.top_p) && (body.top_p as number) < 0.95) {
    throw new TranslationError("top_p", "top_p: must be at least 0.95 when reasoning_effort enables thinking.");
  }
  if (present(body.top_k)) throw new TranslationError("top_k", "top_k: cannot be set when reasoning_effort enables thinking.");
  const choice = body.tool_choice as Json | undefined;
  if (choice && (choice.type === "any" || choice.type === "tool")) {
    const param = isRecord(req.response_format) && req.response_format.type === "json_schema" ? "response_format" : "tool_choice";
    throw new TranslationError(param, `${param}: forcing a tool call (which ${param === "response_format" ? "json_schema is implemented with" : "this requests"}) cannot be combined with reasoning_effort on Claude.`);
  }
  body.thinking = { type: "enabled", budget_tokens: budget };
  if (maxTokens <= budget) {
    body.max_tokens = budget + ANSWER_HEADROOM;
    ctx.warnings.push(`max_tokens raised from ${maxTokens} to ${budget + ANSWER_HEADROOM} to exceed the reasoning_effort "${effort}" thinking budget (${budget})`);
  }
}

// ─── images fetched by the route ─────────────────────────────────────────────────────────────────────────────

export interface FetchedImage {
  mediaType: string;
  base64: string;
}

/**
 * Replaces URL-source image placeholders with the downloaded bytes (base64), in messages and inside
 * tool_result content. Pure: returns a new body and shares untouched subtrees. Placeholders whose URL is not in
 * `fetched` are left as they are (the route decides whether that is an error).
 */
export function inlineImages(body: Record<string, unknown>, fetched: Map<string, FetchedImage>): Record<string, unknown> {
  if (!Array.isArray(body.messages)) return body;
  const messages = body.messages as unknown[];
  const fixed = messages.map((m) => {
    if (!isRecord(m) || !Array.isArray(m.content)) return m;
    const content = inlineBlocks(m.content, fetched);
    return content === m.content ? m : { ...m, content };
  });
  return fixed.every((m, i) => m === messages[i]) ? body : { ...body, messages: fixed };
}

function inlineBlocks(blocks: unknown[], fetched: Map<string, FetchedImage>): unknown[] {
  const fixed = blocks.map((b) => {
    if (!isRecord(b)) return b;
    if (b.type === "tool_result" && Array.isArray(b.content)) {
      const content = inlineBlocks(b.content, fetched);
      return content === b.content ? b : { ...b, content };
    }
    if (b.type !== "image" || !isRecord(b.source) || b.source.type !== "url" || typeof b.source.url !== "string") return b;
    const image = fetched.get(b.source.url);
    if (!image) return b;
    return { ...b, source: { type: "base64", media_type: image.mediaType, data: image.base64 } };
  });
  return fixed.every((b, i) => b === blocks[i]) ? blocks : fixed;
}
