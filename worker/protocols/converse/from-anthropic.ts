// Anthropic Messages request → Bedrock Converse / ConverseStream request body (BEDROCK_WIRE.md §4.1, §9.2), so
// Claude Code and the Anthropic SDKs can talk to every chat model in the catalog. Pure: no I/O. Images given by URL
// are left as placeholders and listed in `imageUrls` (Converse takes bytes only); the route downloads them and
// calls `inlineConverseImages`.
//
// Policy: what only Claude understands and whose absence does not change the question is dropped (beta flags,
// `context_management`, `metadata`, thinking blocks of earlier turns, deferred tools, cache breakpoints on a
// model without prompt caching) and noted in `warnings`. What the model cannot do and the caller relies on (an
// image for a text-only model, a server tool, forcing a tool on a model that cannot be forced) is a 400 naming the
// field, never a silent change of the request.
//
// Decisions worth knowing:
// * `role: "system"` turns inside `messages` (Claude Code sends them) join the system prompt, in order: Converse
//   has one system prompt and user/assistant turns only.
// * Consecutive turns of the same role are merged (Converse requires alternation).
// * `thinking` / `redacted_thinking` blocks from earlier turns are dropped: their signatures are Claude's and other
//   models take no reasoning back as input.
// * A `tool_result` with `is_error` is sent with `status: "error"` where the model takes it (Nova); elsewhere its
//   text is prefixed with "Error: " so the model still learns the tool failed.
// * `thinking` maps to the model's reasoning switch where it has one (`reasoning_effort`, from `output_config.effort`
//   or the thinking budget); models that reason by themselves, or not at all, get nothing.
// * `max_tokens` is clamped to the model's output limit (Claude Code asks for 128k; most models allow far fewer).

import type { ModelRow } from "../../models/catalog-data.ts";
import { encodeBase64Utf8 } from "../../util/base64.ts";
import { converseBody, IMAGE_FORMATS } from "./body.ts";
import type { ConverseCapabilities } from "./from-openai.ts";
import { TranslationError } from "./errors.ts";
import { own } from "../../util/own.ts";

export interface AnthropicConverseCapabilities extends ConverseCapabilities {
  /** Prompt caching: `cache_control` becomes a `cachePoint`. */
  caching?: boolean;
  /** Image blocks accepted (in messages and tool results). */
  images?: boolean;
  /** Document blocks (PDF, plain text) accepted. */
  documents?: boolean;
  /** `toolResult.status` accepted. */
  toolResultStatus?: boolean;
}

export interface AnthropicToConverseOptions {
  capabilities: AnthropicConverseCapabilities;
  /** The model's output limit: max_tokens above it is clamped. */
  maxOutput: number;
}

export interface AnthropicConverseTranslation {
  body: Record<string, unknown>;
  /** http(s) image URLs to download and hand to `inlineConverseImages`. */
  imageUrls: string[];
  /** inferenceConfig.maxTokens as sent (after clamping). */
  maxTokens: number;
  warnings: string[];
}

/** What a catalog row says the model accepts through Converse (defaults: stop sequences and tool forcing). */
export function converseCapabilitiesOf(row: ModelRow): AnthropicConverseCapabilities {
  return { stopSequences: true, toolChoiceRequired: true, ...row.converse, caching: row.caching ?? false };
}

type Json = Record<string, unknown>;

const DOCUMENT_FORMATS: Record<string, string> = { "application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv", "text/html": "html", "text/markdown": "md" };

/** Anthropic-defined tool types other models cannot run (server tools, and client tools with no schema). */
const CLAUDE_ONLY_TOOL = /^(web_search|web_fetch|code_execution|bash|text_editor|computer|memory|mcp_toolset)/;
/** Tool search only finds deferred tools, which are not sent to other models; so it goes too. */
const TOOL_SEARCH = /^tool_search_tool/;

const REASONING_EFFORTS = new Set(["low", "medium", "high"]);

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** Converse document names allow letters, digits, single spaces, hyphens, parentheses and square brackets. */
function documentName(title: unknown, n: number): string {
  const cleaned = typeof title === "string" ? title.replace(/[^A-Za-z0-9\s()[\]-]/g, " ").replace(/\s+/g, " ").trim().slice(0, 200) : "";
  return cleaned || `document-${n}`;
}

class Translator {
  readonly system: Json[] = [];
  readonly turns: Array<{ role: "user" | "assistant"; content: Json[] }> = [];
  readonly imageUrls: string[] = [];
  readonly warnings: string[] = [];
  hasToolBlocks = false;
  private documents = 0;

  constructor(readonly caps: AnthropicConverseCapabilities) {}

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  cachePoint(blocks: Json[], cacheControl: unknown, at: string): void {
    if (cacheControl === undefined || cacheControl === null) return;
    if (!this.caps.caching) return this.warn(`cache_control is ignored: this model has no prompt caching (first at ${at}).`);
    const last = blocks[blocks.length - 1];
    if (!last || "cachePoint" in last) return; // a breakpoint means something only after content
    const cachePoint: Json = { type: "default" };
    if (isRecord(cacheControl) && (cacheControl.ttl === "5m" || cacheControl.ttl === "1h")) cachePoint.ttl = cacheControl.ttl;
    blocks.push({ cachePoint });
  }

  addSystem(system: unknown, at: string): void {
    if (system === undefined || system === null) return;
    if (typeof system === "string") {
      if (!isBlank(system)) this.system.push({ text: system });
      return;
    }
    if (!Array.isArray(system)) throw new TranslationError(at, `${at} must be a string or an array of text blocks.`);
    system.forEach((block: unknown, i) => {
      const bat = `${at}[${i}]`;
      if (!isRecord(block) || block.type !== "text" || typeof block.text !== "string") {
        throw new TranslationError(bat, `${bat}: system content must be text blocks.`);
      }
      if (!isBlank(block.text)) this.system.push({ text: block.text });
      this.cachePoint(this.system, block.cache_control, bat);
    });
  }

  addMessage(m: unknown, i: number): void {
    const at = `messages[${i}]`;
    if (!isRecord(m)) throw new TranslationError(at, `${at} must be an object.`);
    if (m.role === "system") return this.addSystem(m.content, `${at}.content`);
    if (m.role !== "user" && m.role !== "assistant") throw new TranslationError(`${at}.role`, `${at}.role must be "user" or "assistant".`);
    const content = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (!Array.isArray(content)) throw new TranslationError(`${at}.content`, `${at}.content must be a string or an array of content blocks.`);
    const blocks: Json[] = [];
    content.forEach((block: unknown, j) => this.addBlock(blocks, m.role as "user" | "assistant", block, `${at}.content[${j}]`));
    if (blocks.length === 0) return; // only dropped blocks (e.g. thinking): nothing for this model to read
    const last = this.turns[this.turns.length - 1];
    if (last && last.role === m.role) last.content.push(...blocks);
    else this.turns.push({ role: m.role, content: blocks });
  }

  private addBlock(out: Json[], role: "user" | "assistant", block: unknown, at: string): void {
    if (!isRecord(block)) throw new TranslationError(at, `${at} must be an object.`);
    switch (block.type) {
      case "text":
        if (typeof block.text !== "string") throw new TranslationError(`${at}.text`, `${at}.text must be a string.`);
        if (!isBlank(block.text)) out.push({ text: block.text });
        break;
      case "image":
        if (role !== "user") throw new TranslationError(at, `${at}: images may only appear in user turns.`);
        out.push(this.image(block, at));
        break;
      case "document":
        if (role !== "user") throw new TranslationError(at, `${at}: documents may only appear in user turns.`);
        out.push(this.document(block, at));
        break;
      case "tool_use":
        if (role !== "assistant") throw new TranslationError(at, `${at}: tool_use blocks belong to assistant turns.`);
        out.push(this.toolUse(block, at));
        break;
      case "tool_result":
        if (role !== "user") throw new TranslationError(at, `${at}: tool_result blocks belong to user turns.`);
        out.push(this.toolResult(block, at));
        break;
      case "thinking":
      case "redacted_thinking":
        // Claude's signed reasoning from an earlier turn: other models take no reasoning as input.
        this.warn("thinking blocks from earlier turns are not sent to this model.");
        return;
      case "server_tool_use":
      case "web_search_tool_result":
      case "web_fetch_tool_result":
      case "code_execution_tool_result":
      case "tool_search_tool_result":
        this.warn(`${String(block.type)} blocks from earlier turns are not sent to this model (it cannot run Claude's server tools).`);
        return;
      default:
        throw new TranslationError(`${at}.type`, `${at}: content block type ${JSON.stringify(block.type)} is not supported for this model.`);
    }
    this.cachePoint(out, block.cache_control, at);
  }

  image(block: Json, at: string): Json {
    if (!this.caps.images) throw new TranslationError(at, `${at}: this model does not accept images; send text only or choose a model that takes images.`);
    const source = block.source;
    if (!isRecord(source)) throw new TranslationError(`${at}.source`, `${at}.source must be an object.`);
    if (source.type === "base64") {
      const format = own(IMAGE_FORMATS, String(source.media_type).toLowerCase());
      if (!format) throw new TranslationError(`${at}.source.media_type`, `${at}.source.media_type must be image/png, image/jpeg, image/gif or image/webp.`);
      if (typeof source.data !== "string" || source.data === "") throw new TranslationError(`${at}.source.data`, `${at}.source.data must be base64 image data.`);
      return { image: { format, source: { bytes: source.data } } };
    }
    if (source.type === "url" && typeof source.url === "string" && /^https?:\/\//i.test(source.url)) {
      if (!this.imageUrls.includes(source.url)) this.imageUrls.push(source.url);
      return { image: { source: { url: source.url } } }; // filled in by inlineConverseImages
    }
    throw new TranslationError(`${at}.source.type`, `${at}.source: images must be base64 data or an http(s) URL for this model.`);
  }

  document(block: Json, at: string): Json {
    if (!this.caps.documents) throw new TranslationError(at, `${at}: this model does not accept documents; send the text instead.`);
    const source = block.source;
    if (!isRecord(source)) throw new TranslationError(`${at}.source`, `${at}.source must be an object.`);
    const name = documentName(block.title, ++this.documents);
    if (source.type === "base64" && typeof source.data === "string") {
      const format = own(DOCUMENT_FORMATS, String(source.media_type).toLowerCase());
      if (!format) throw new TranslationError(`${at}.source.media_type`, `${at}.source.media_type ${JSON.stringify(source.media_type)} is not supported (PDF or plain text).`);
      return { document: { format, name, source: { bytes: source.data } } };
    }
    if (source.type === "text" && typeof source.data === "string") {
      return { document: { format: "txt", name, source: { bytes: encodeBase64Utf8(source.data) } } };
    }
    throw new TranslationError(`${at}.source.type`, `${at}.source: documents must be base64 data or text for this model.`);
  }

  toolUse(block: Json, at: string): Json {
    if (typeof block.id !== "string" || block.id === "") throw new TranslationError(`${at}.id`, `${at}.id must be a non-empty string.`);
    if (typeof block.name !== "string" || block.name === "") throw new TranslationError(`${at}.name`, `${at}.name must be a non-empty string.`);
    this.hasToolBlocks = true;
    return { toolUse: { toolUseId: block.id, name: block.name, input: isRecord(block.input) ? block.input : {} } };
  }

  toolResult(block: Json, at: string): Json {
    if (typeof block.tool_use_id !== "string" || block.tool_use_id === "") {
      throw new TranslationError(`${at}.tool_use_id`, `${at}.tool_use_id must be a non-empty string.`);
    }
    const content: Json[] = [];
    const parts = typeof block.content === "string" ? [{ type: "text", text: block.content }] : (block.content ?? []);
    if (!Array.isArray(parts)) throw new TranslationError(`${at}.content`, `${at}.content must be a string or an array of blocks.`);
    parts.forEach((part: unknown, k) => {
      const pat = `${at}.content[${k}]`;
      if (!isRecord(part)) throw new TranslationError(pat, `${pat} must be an object.`);
      if (part.type === "text" && typeof part.text === "string") {
        if (!isBlank(part.text)) content.push({ text: part.text });
      } else if (part.type === "image") content.push(this.image(part, pat));
      else if (part.type === "document") content.push(this.document(part, pat));
      else throw new TranslationError(`${pat}.type`, `${pat}: tool results may hold text, images and documents.`);
    });
    this.hasToolBlocks = true;
    const result: Json = { toolUseId: block.tool_use_id, content };
    if (block.is_error === true) {
      if (this.caps.toolResultStatus) result.status = "error";
      else {
        const first = content.findIndex((b) => typeof b.text === "string");
        if (first >= 0) content[first] = { text: `Error: ${String(content[first]!.text)}` };
        else content.unshift({ text: "Error: the tool failed." });
      }
    }
    // Bedrock rejects blank text but accepts an empty content list (BEDROCK_WIRE.md §11.13).
    return { toolResult: result };
  }
}

function toolConfigOf(req: Json, t: Translator): Json | undefined {
  const tools: Json[] = [];
  const names = new Set<string>();
  if (req.tools !== undefined && req.tools !== null) {
    if (!Array.isArray(req.tools)) throw new TranslationError("tools", "tools must be an array.");
    req.tools.forEach((tool: unknown, i) => {
      const at = `tools[${i}]`;
      if (!isRecord(tool)) throw new TranslationError(at, `${at} must be an object.`);
      const type = tool.type;
      if (typeof type === "string" && type !== "custom") {
        if (TOOL_SEARCH.test(type)) return t.warn("tool search is not available on this model; deferred tools are not sent.");
        const kind = CLAUDE_ONLY_TOOL.test(type) ? "one of Claude's built-in tools" : "not a custom tool";
        throw new TranslationError(`${at}.type`, `${at}: ${JSON.stringify(type)} is ${kind}, which this model cannot run; define it as a custom tool with an input_schema.`);
      }
      if (typeof tool.name !== "string" || tool.name === "") throw new TranslationError(`${at}.name`, `${at}.name must be a non-empty string.`);
      if (tool.defer_loading === true) return t.warn("deferred tools (defer_loading) are not sent: this model has no tool search.");
      const schema = tool.input_schema;
      if (!isRecord(schema) || schema.type !== "object") {
        throw new TranslationError(`${at}.input_schema`, `${at}.input_schema must be a JSON Schema object with "type": "object".`);
      }
      const toolSpec: Json = { name: tool.name };
      if (typeof tool.description === "string" && tool.description !== "") toolSpec.description = tool.description;
      toolSpec.inputSchema = { json: schema };
      tools.push({ toolSpec });
      names.add(tool.name);
      if (tool.cache_control !== undefined && tool.cache_control !== null) {
        if (t.caps.caching && t.caps.cachePointOnTools) t.cachePoint(tools, tool.cache_control, at);
        else t.warn(`cache_control on tools is ignored: this model takes no cache points there (first at ${at}).`);
      }
    });
  }

  const choice = req.tool_choice;
  let toolChoice: Json | undefined;
  if (choice !== undefined && choice !== null) {
    if (!isRecord(choice)) throw new TranslationError("tool_choice", "tool_choice must be an object.");
    switch (choice.type) {
      case "auto":
        toolChoice = tools.length ? { auto: {} } : undefined;
        break;
      case "any":
        if (!tools.length) throw new TranslationError("tool_choice", 'tool_choice "any" needs tools.');
        if (!t.caps.toolChoiceRequired) throw new TranslationError("tool_choice", 'This model cannot be made to call a tool (tool_choice "any"); use "auto".');
        toolChoice = { any: {} };
        break;
      case "tool":
        if (typeof choice.name !== "string" || !names.has(choice.name)) throw new TranslationError("tool_choice.name", "tool_choice.name must name one of the tools.");
        if (!t.caps.toolChoiceRequired) throw new TranslationError("tool_choice", 'This model cannot be made to call a given tool (tool_choice "tool"); use "auto".');
        toolChoice = { tool: { name: choice.name } };
        break;
      case "none":
        // Converse has no "none": leave the tools out, unless the conversation already holds tool blocks (Bedrock
        // refuses those without a toolConfig); then the tools stay and the model may still call one.
        if (!t.hasToolBlocks) return undefined;
        t.warn('tool_choice "none" cannot be enforced on this model while the conversation holds tool calls.');
        return tools.length ? { tools } : undefined;
      default:
        throw new TranslationError("tool_choice.type", 'tool_choice.type must be "auto", "any", "tool" or "none".');
    }
  }
  if (!tools.length) return undefined;
  return toolChoice ? { tools, toolChoice } : { tools };
}

/** Claude's thinking switch → the model's, where it has one: `reasoning_effort` low/medium/high. */
function reasoningEffortOf(req: Json, t: Translator): string | undefined {
  const thinking = req.thinking;
  if (!isRecord(thinking) || (thinking.type !== "enabled" && thinking.type !== "adaptive")) return undefined;
  if (!t.caps.reasoning) {
    t.warn("thinking is not switchable on this model and was ignored.");
    return undefined;
  }
  const effort = isRecord(req.output_config) ? req.output_config.effort : undefined;
  if (typeof effort === "string") return REASONING_EFFORTS.has(effort) ? effort : effort === "max" ? "high" : "medium";
  const budget = typeof thinking.budget_tokens === "number" ? thinking.budget_tokens : 0;
  if (thinking.type === "adaptive" || budget === 0) return "medium";
  return budget <= 4096 ? "low" : budget <= 16384 ? "medium" : "high";
}

function outputConfigOf(req: Json, t: Translator): Json | undefined {
  const format = isRecord(req.output_config) ? req.output_config.format : undefined;
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format) || format.type !== "json_schema" || !isRecord(format.schema)) {
    throw new TranslationError("output_config.format", 'output_config.format must be {"type":"json_schema","schema":{…}}.');
  }
  if (!t.caps.jsonSchema) throw new TranslationError("output_config.format", "This model does not support structured output (output_config.format).");
  return { textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(format.schema), name: "response" } } } };
}

function number(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TranslationError(param, `${param} must be a number.`);
  return value;
}

export function anthropicToConverse(req: Json, opts: AnthropicToConverseOptions): AnthropicConverseTranslation {
  const t = new Translator(opts.capabilities);
  t.addSystem(req.system, "system");
  if (!Array.isArray(req.messages)) throw new TranslationError("messages", "messages must be an array.");
  req.messages.forEach((m: unknown, i: number) => t.addMessage(m, i));
  if (t.turns.length === 0) throw new TranslationError("messages", "messages must hold at least one user turn with content.");
  if (t.turns[0]!.role !== "user") throw new TranslationError("messages", "The first message must come from the user on this model.");

  const requested = typeof req.max_tokens === "number" && req.max_tokens >= 1 ? Math.floor(req.max_tokens) : opts.maxOutput;
  const maxTokens = Math.min(requested, opts.maxOutput);
  const inferenceConfig: Json = { maxTokens };
  if (req.temperature !== undefined && req.temperature !== null) inferenceConfig.temperature = number(req.temperature, "temperature");
  if (req.top_p !== undefined && req.top_p !== null) inferenceConfig.topP = number(req.top_p, "top_p");
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) {
    if (!req.stop_sequences.every((s) => typeof s === "string")) throw new TranslationError("stop_sequences", "stop_sequences must be strings.");
    if (!opts.capabilities.stopSequences) throw new TranslationError("stop_sequences", "This model does not support stop sequences; remove stop_sequences.");
    inferenceConfig.stopSequences = req.stop_sequences;
  }
  if (Array.isArray(req.mcp_servers) && req.mcp_servers.length > 0) {
    throw new TranslationError("mcp_servers", "mcp_servers (Anthropic's MCP connector) is not available on this model.");
  }

  const toolConfig = toolConfigOf(req, t);
  const outputConfig = outputConfigOf(req, t);
  const additional: Json = {};
  if (typeof req.top_k === "number") additional.top_k = req.top_k;
  const effort = reasoningEffortOf(req, t);
  if (effort) additional.reasoning_effort = effort;
  if (req.context_management !== undefined) t.warn("context_management is Claude-only and was ignored.");

  const body = converseBody({ turns: t.turns, system: t.system, inferenceConfig, toolConfig, outputConfig, additional });
  return { body, imageUrls: t.imageUrls, maxTokens, warnings: t.warnings };
}
