// OpenAI `/v1/chat/completions` request → Bedrock Converse / ConverseStream request body (BEDROCK_WIRE.md §4.1,
// §4.4 request table). Pure: no I/O. Images given by http(s) URL cannot be sent to Converse (its ImageSource only
// takes bytes or s3Location), so they are left as placeholders and listed in `imageUrls`; the route downloads them
// and calls `inlineConverseImages` before sending.
//
// Anything the chosen model cannot do is a TranslationError naming the OpenAI field (a 400 for the client), never a
// silent drop that would change what the model is asked; parameters Converse has no slot for but whose absence
// does not change the answer's meaning (penalties, seed, logprobs…) are dropped with a warning.
//
// Decisions worth knowing (each is where Converse and OpenAI disagree):
// * system/developer messages anywhere in the conversation are hoisted, in order, into `system`: Converse has one
//   system prompt.
// * Consecutive same-role turns are merged (Converse requires user/assistant alternation); `tool` messages become
//   user turns of `toolResult` blocks, so consecutive tool results — and a user message right after them — share one
//   user turn. A conversation that does not start with a user turn is rejected (param "messages"): inventing a user
//   turn would put words in the client's mouth.
// * Blank text is dropped: Bedrock rejects blank `text` blocks. An empty tool result becomes `content: []`, which
//   Bedrock accepts (Portkey does the same), rather than a placeholder text the model would read.
// * `tool_choice: "none"` has no Converse equivalent. toolConfig is omitted — unless the conversation already holds
//   toolUse/toolResult blocks, which Bedrock rejects without a toolConfig; then the tools are kept without a
//   toolChoice (the model may still call one) and a warning says so.
// * Forcing a tool (`"required"` and a named tool) needs `capabilities.toolChoiceRequired`; models without it
//   (Kimi, §10.2) reject `any`/`tool` choices, and a forced call the model ignores would break the client's loop.
// * Capabilities are opt-in: an absent flag means "not supported", so a caller that forgets to set one gets a clear
//   400 rather than a Bedrock ValidationException.

import { converseBody, IMAGE_FORMATS } from "./body.ts";
import { TranslationError } from "./errors.ts";
import { own } from "../../util/own.ts";

export { TranslationError };

export interface ConverseCapabilities {
  /** Model honours toolChoice `any` / `tool` (OpenAI `tool_choice: "required"` or a named function). */
  toolChoiceRequired?: boolean;
  /** Model accepts inferenceConfig.stopSequences (Kimi does not). */
  stopSequences?: boolean;
  /** Model accepts `cachePoint` entries in toolConfig.tools (Amazon Nova does not). */
  cachePointOnTools?: boolean;
  /** Model supports outputConfig.textFormat json_schema (structured output). */
  jsonSchema?: boolean;
  /** Model takes `reasoning_effort` through additionalModelRequestFields. */
  reasoning?: boolean;
}

export interface OpenAIToConverseOptions {
  /** inferenceConfig.maxTokens when the client sends neither max_completion_tokens nor max_tokens. */
  maxTokensDefault: number;
  capabilities: ConverseCapabilities;
}

export interface ConverseRequestTranslation {
  /** The Converse request body (model id and stream/non-stream are chosen by the URL, not the body). */
  body: Record<string, unknown>;
  /** http(s) image URLs to download (each once) and hand to `inlineConverseImages`. Empty when none. */
  imageUrls: string[];
  /** `stream_options.include_usage`: send a final usage chunk when streaming. */
  includeUsage: boolean;
  /** Human-readable notes about request fields that were ignored or adjusted. */
  warnings: string[];
}

type Json = Record<string, unknown>;


/** requestMetadata values are restricted (Bedrock API reference, RequestMetadata): ≤ 256 chars of this set. */
const REQUEST_METADATA_VALUE = /^[a-zA-Z0-9\s:_@$#=/+,.-]{0,256}$/;

/** Instruction added to `system` for `response_format: {type:"json_object"}`, which Converse has no switch for. */
export const JSON_OBJECT_INSTRUCTION =
  "Respond with a single valid JSON object only: no prose, no code fences, nothing before or after it.";

/** Fields Converse has no slot for and whose absence does not change what the model is asked to do. */
const IGNORED_FIELDS = [
  "frequency_penalty",
  "presence_penalty",
  "seed",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "parallel_tool_calls",
  "service_tier",
  "store",
  "metadata",
  "prediction",
  "verbosity",
  "web_search_options",
  "safety_identifier",
  "prompt_cache_key",
];

function isRecord(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** Marker the placeholder image carries until the route has downloaded it (never valid Converse on its own). */
interface PendingImage {
  image: { source: { url: string } };
}

function cachePointFor(cacheControl: unknown): Json {
  const cachePoint: Json = { type: "default" };
  if (isRecord(cacheControl) && (cacheControl.ttl === "5m" || cacheControl.ttl === "1h")) cachePoint.ttl = cacheControl.ttl;
  return { cachePoint };
}

/** A cachePoint only means something after content, and two in a row add nothing. */
function pushCachePoint(blocks: Json[], cacheControl: unknown): void {
  const last = blocks[blocks.length - 1];
  if (last && !("cachePoint" in last)) blocks.push(cachePointFor(cacheControl));
}

class RequestTranslator {
  readonly warnings: string[] = [];
  readonly imageUrls: string[] = [];
  private readonly seenUrls = new Set<string>();
  readonly system: Json[] = [];
  readonly turns: Array<{ role: "user" | "assistant"; content: Json[] }> = [];
  hasToolBlocks = false;

  constructor(readonly capabilities: ConverseCapabilities) {}

  addMessage(m: unknown, i: number): void {
    const at = `messages[${i}]`;
    if (!isRecord(m)) throw new TranslationError(at, `${at} must be an object.`);
    switch (m.role) {
      case "system":
      case "developer":
        this.addSystem(m, at);
        return;
      case "user":
        this.pushTurn("user", this.userContent(m, at));
        return;
      case "assistant":
        this.pushTurn("assistant", this.assistantContent(m, at));
        return;
      case "tool":
        this.pushTurn("user", [this.toolResult(m, at)]);
        return;
      case "function":
        throw new TranslationError(`${at}.role`, `${at}: role "function" is deprecated and not supported; use tools and role "tool".`);
      default:
        throw new TranslationError(`${at}.role`, `${at}.role must be one of system, developer, user, assistant, tool.`);
    }
  }

  private pushTurn(role: "user" | "assistant", content: Json[]): void {
    if (content.length === 0) return; // an empty message would be rejected; it says nothing anyway
    const last = this.turns[this.turns.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else this.turns.push({ role, content });
  }

  private addSystem(m: Json, at: string): void {
    const content = m.content;
    if (typeof content === "string") {
      if (!isBlank(content)) this.system.push({ text: content });
      if (m.cache_control) pushCachePoint(this.system, m.cache_control);
      return;
    }
    if (!Array.isArray(content)) throw new TranslationError(`${at}.content`, `${at}.content must be a string or an array of text parts.`);
    content.forEach((part: unknown, j) => {
      const pat = `${at}.content[${j}]`;
      if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") {
        throw new TranslationError(pat, `${pat}: system and developer messages may only contain text parts.`);
      }
      if (!isBlank(part.text)) this.system.push({ text: part.text });
      if (part.cache_control) pushCachePoint(this.system, part.cache_control);
    });
  }

  private userContent(m: Json, at: string): Json[] {
    const content = m.content;
    const blocks: Json[] = [];
    if (typeof content === "string") {
      if (!isBlank(content)) blocks.push({ text: content });
      if (m.cache_control) pushCachePoint(blocks, m.cache_control);
      return blocks;
    }
    if (!Array.isArray(content)) throw new TranslationError(`${at}.content`, `${at}.content must be a string or an array of content parts.`);
    content.forEach((part: unknown, j) => {
      const pat = `${at}.content[${j}]`;
      if (!isRecord(part)) throw new TranslationError(pat, `${pat} must be an object.`);
      if (part.type === "text") {
        if (typeof part.text !== "string") throw new TranslationError(`${pat}.text`, `${pat}.text must be a string.`);
        if (!isBlank(part.text)) blocks.push({ text: part.text });
      } else if (part.type === "image_url") {
        blocks.push(this.image(part, pat));
      } else {
        throw new TranslationError(
          `${pat}.type`,
          `${pat}: content part type ${JSON.stringify(part.type)} is not supported for this model (text and image_url are).`,
        );
      }
      if (part.cache_control) pushCachePoint(blocks, part.cache_control);
    });
    return blocks;
  }

  private image(part: Json, pat: string): Json {
    const url = isRecord(part.image_url) ? part.image_url.url : undefined;
    if (typeof url !== "string") throw new TranslationError(`${pat}.image_url.url`, `${pat}.image_url.url must be a string.`);
    if (url.startsWith("data:")) {
      const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
      if (!match) throw new TranslationError(`${pat}.image_url.url`, `${pat}.image_url.url must be a base64 data URL (data:image/png;base64,…).`);
      const mediaType = match[1]!.toLowerCase();
      const format = own(IMAGE_FORMATS, mediaType);
      if (!format) {
        throw new TranslationError(`${pat}.image_url.url`, `${pat}: image type ${mediaType} is not supported; use png, jpeg, gif or webp.`);
      }
      return { image: { format, source: { bytes: match[3]!.replace(/\s+/g, "") } } };
    }
    if (/^https?:\/\//i.test(url)) {
      if (!this.seenUrls.has(url)) {
        this.seenUrls.add(url);
        this.imageUrls.push(url);
      }
      const pending: PendingImage = { image: { source: { url } } };
      return pending as unknown as Json;
    }
    throw new TranslationError(`${pat}.image_url.url`, `${pat}.image_url.url must be an http(s) URL or a base64 data URL.`);
  }

  private assistantContent(m: Json, at: string): Json[] {
    const blocks: Json[] = [];
    const content = m.content;
    if (typeof content === "string") {
      if (!isBlank(content)) blocks.push({ text: content });
    } else if (Array.isArray(content)) {
      content.forEach((part: unknown, j) => {
        const pat = `${at}.content[${j}]`;
        if (isRecord(part) && part.type === "text" && typeof part.text === "string") {
          if (!isBlank(part.text)) blocks.push({ text: part.text });
        } else if (isRecord(part) && part.type === "refusal" && typeof part.refusal === "string") {
          if (!isBlank(part.refusal)) blocks.push({ text: part.refusal });
        } else {
          throw new TranslationError(pat, `${pat}: assistant content parts must be text or refusal.`);
        }
        if (isRecord(part) && part.cache_control) pushCachePoint(blocks, part.cache_control);
      });
    } else if (content !== null && content !== undefined) {
      throw new TranslationError(`${at}.content`, `${at}.content must be a string, an array of parts, or null.`);
    }
    if (m.function_call !== undefined && m.function_call !== null) {
      throw new TranslationError(`${at}.function_call`, `${at}.function_call is deprecated and not supported; use tool_calls.`);
    }
    const toolCalls = m.tool_calls;
    if (toolCalls !== undefined && toolCalls !== null) {
      if (!Array.isArray(toolCalls)) throw new TranslationError(`${at}.tool_calls`, `${at}.tool_calls must be an array.`);
      toolCalls.forEach((call: unknown, k) => blocks.push(this.toolUse(call, `${at}.tool_calls[${k}]`)));
    }
    if (typeof content === "string" && m.cache_control) pushCachePoint(blocks, m.cache_control);
    return blocks;
  }

  private toolUse(call: unknown, at: string): Json {
    if (!isRecord(call)) throw new TranslationError(at, `${at} must be an object.`);
    if (call.type !== undefined && call.type !== "function") {
      throw new TranslationError(`${at}.type`, `${at}.type ${JSON.stringify(call.type)} is not supported; only "function" tool calls are.`);
    }
    if (typeof call.id !== "string" || call.id === "") throw new TranslationError(`${at}.id`, `${at}.id must be a non-empty string.`);
    const fn = call.function;
    if (!isRecord(fn) || typeof fn.name !== "string" || fn.name === "") {
      throw new TranslationError(`${at}.function.name`, `${at}.function.name must be a non-empty string.`);
    }
    const args = fn.arguments ?? "";
    if (typeof args !== "string") throw new TranslationError(`${at}.function.arguments`, `${at}.function.arguments must be a JSON string.`);
    let input: unknown = {};
    // A tool without parameters is often called with "" rather than "{}".
    if (!isBlank(args)) {
      try {
        input = JSON.parse(args);
      } catch (err) {
        throw new TranslationError(
          `${at}.function.arguments`,
          `${at}.function.arguments is not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
        );
      }
    }
    if (!isRecord(input)) {
      throw new TranslationError(`${at}.function.arguments`, `${at}.function.arguments must encode a JSON object.`);
    }
    this.hasToolBlocks = true;
    return { toolUse: { toolUseId: call.id, name: fn.name, input } };
  }

  private toolResult(m: Json, at: string): Json {
    if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") {
      throw new TranslationError(`${at}.tool_call_id`, `${at}.tool_call_id must be a non-empty string.`);
    }
    const content: Json[] = [];
    if (typeof m.content === "string") {
      if (!isBlank(m.content)) content.push({ text: m.content });
    } else if (Array.isArray(m.content)) {
      m.content.forEach((part: unknown, j) => {
        const pat = `${at}.content[${j}]`;
        if (!isRecord(part) || part.type !== "text" || typeof part.text !== "string") {
          throw new TranslationError(pat, `${pat}: tool message content parts must be text.`);
        }
        if (!isBlank(part.text)) content.push({ text: part.text });
      });
    } else if (m.content !== null && m.content !== undefined) {
      throw new TranslationError(`${at}.content`, `${at}.content must be a string or an array of text parts.`);
    }
    this.hasToolBlocks = true;
    // Bedrock rejects blank text but accepts an empty content list (BEDROCK_WIRE.md §11.13, Portkey).
    return { toolResult: { toolUseId: m.tool_call_id, content } };
  }

  warn(message: string): void {
    this.warnings.push(message);
  }
}

function positiveInteger(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new TranslationError(param, `${param} must be a positive integer.`);
  }
  return value;
}

function finiteNumber(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TranslationError(param, `${param} must be a number.`);
  return value;
}

function stopSequences(stop: unknown, caps: ConverseCapabilities): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
    throw new TranslationError("stop", "stop must be a string or an array of strings.");
  }
  if (list.length === 0) return undefined;
  if (!caps.stopSequences) throw new TranslationError("stop", "This model does not support stop sequences; remove `stop`.");
  return list as string[];
}

function toolConfigOf(req: Json, t: RequestTranslator): Json | undefined {
  const caps = t.capabilities;
  if (req.functions !== undefined && req.functions !== null) {
    throw new TranslationError("functions", "`functions` is deprecated and not supported; use `tools`.");
  }
  const rawTools = req.tools;
  const tools: Json[] = [];
  const names = new Set<string>();
  if (rawTools !== undefined && rawTools !== null) {
    if (!Array.isArray(rawTools)) throw new TranslationError("tools", "tools must be an array.");
    rawTools.forEach((tool: unknown, i) => {
      const at = `tools[${i}]`;
      if (!isRecord(tool)) throw new TranslationError(at, `${at} must be an object.`);
      if (tool.type !== "function") {
        throw new TranslationError(`${at}.type`, `${at}.type ${JSON.stringify(tool.type)} is not supported; only "function" tools are.`);
      }
      const fn = tool.function;
      if (!isRecord(fn) || typeof fn.name !== "string" || fn.name === "") {
        throw new TranslationError(`${at}.function.name`, `${at}.function.name must be a non-empty string.`);
      }
      const parameters = fn.parameters ?? { type: "object", properties: {} };
      if (!isRecord(parameters)) throw new TranslationError(`${at}.function.parameters`, `${at}.function.parameters must be a JSON Schema object.`);
      const toolSpec: Json = { name: fn.name };
      if (typeof fn.description === "string" && fn.description !== "") toolSpec.description = fn.description;
      toolSpec.inputSchema = { json: parameters };
      if (fn.strict === true) t.warn(`${at}.function.strict is ignored: Converse does not enforce strict tool schemas for this model.`);
      tools.push({ toolSpec });
      names.add(fn.name);
      // Non-standard, Anthropic-style: a cache breakpoint after this tool definition.
      if (tool.cache_control) {
        if (caps.cachePointOnTools) tools.push(cachePointFor(tool.cache_control));
        else t.warn(`${at}.cache_control is ignored: this model does not accept cache points on tools.`);
      }
    });
  }

  const choice = req.tool_choice;
  let toolChoice: Json | undefined;
  if (choice === undefined || choice === null) {
    toolChoice = undefined;
  } else if (choice === "auto") {
    toolChoice = tools.length ? { auto: {} } : undefined;
  } else if (choice === "none") {
    if (!tools.length) return undefined;
    if (!t.hasToolBlocks) return undefined;
    // Bedrock rejects toolUse/toolResult blocks without a toolConfig, so the tools must stay.
    t.warn('tool_choice "none" cannot be enforced on this model while the conversation holds tool calls; tools were still sent.');
    return { tools };
  } else if (choice === "required") {
    if (!tools.length) throw new TranslationError("tool_choice", 'tool_choice "required" is only allowed when tools are specified.');
    if (!caps.toolChoiceRequired) throw new TranslationError("tool_choice", 'This model does not support tool_choice "required".');
    toolChoice = { any: {} };
  } else if (isRecord(choice) && choice.type === "function") {
    const name = isRecord(choice.function) ? choice.function.name : undefined;
    if (typeof name !== "string" || name === "") {
      throw new TranslationError("tool_choice.function.name", "tool_choice.function.name must be a non-empty string.");
    }
    if (!names.has(name)) throw new TranslationError("tool_choice", `tool_choice names "${name}", which is not among the tools.`);
    if (!caps.toolChoiceRequired) throw new TranslationError("tool_choice", "This model does not support forcing a specific tool with tool_choice.");
    toolChoice = { tool: { name } };
  } else {
    throw new TranslationError("tool_choice", 'tool_choice must be "none", "auto", "required" or {"type":"function","function":{"name":…}}.');
  }

  if (!tools.length) {
    if (t.hasToolBlocks) t.warn("The conversation holds tool calls but the request defines no tools; Bedrock may reject it.");
    return undefined;
  }
  return toolChoice ? { tools, toolChoice } : { tools };
}

function outputConfigOf(req: Json, t: RequestTranslator): Json | undefined {
  const format = req.response_format;
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format)) throw new TranslationError("response_format", "response_format must be an object.");
  switch (format.type) {
    case "text":
      return undefined;
    case "json_object":
      // Converse has no JSON mode switch; the instruction is the portable way to ask for it.
      t.system.push({ text: JSON_OBJECT_INSTRUCTION });
      return undefined;
    case "json_schema": {
      if (!t.capabilities.jsonSchema) {
        throw new TranslationError("response_format", "This model does not support response_format json_schema.");
      }
      const spec = format.json_schema;
      if (!isRecord(spec) || !isRecord(spec.schema)) {
        throw new TranslationError("response_format.json_schema.schema", "response_format.json_schema.schema must be a JSON Schema object.");
      }
      // The SDK models `schema` as a string holding the JSON Schema (§4.1).
      const jsonSchema: Json = { schema: JSON.stringify(spec.schema) };
      if (typeof spec.name === "string" && spec.name !== "") jsonSchema.name = spec.name;
      if (typeof spec.description === "string" && spec.description !== "") jsonSchema.description = spec.description;
      return { textFormat: { type: "json_schema", structure: { jsonSchema } } };
    }
    default:
      throw new TranslationError("response_format.type", 'response_format.type must be "text", "json_object" or "json_schema".');
  }
}

export function openAIToConverse(req: any, opts: OpenAIToConverseOptions): ConverseRequestTranslation {
  if (!isRecord(req)) throw new TranslationError("body", "The request body must be a JSON object.");
  const caps = opts.capabilities;
  const t = new RequestTranslator(caps);

  if (!Array.isArray(req.messages) || req.messages.length === 0) {
    throw new TranslationError("messages", "messages must be a non-empty array.");
  }
  req.messages.forEach((m: unknown, i: number) => t.addMessage(m, i));
  if (t.turns.length === 0) {
    throw new TranslationError("messages", "messages must include at least one non-empty user message.");
  }
  if (t.turns[0]!.role !== "user") {
    throw new TranslationError("messages", "The first non-system message must come from the user (Converse requires it).");
  }

  if (req.n !== undefined && req.n !== null && req.n !== 1) {
    throw new TranslationError("n", "Only n = 1 is supported.");
  }

  const inferenceConfig: Json = {};
  const maxParam = req.max_completion_tokens != null ? "max_completion_tokens" : req.max_tokens != null ? "max_tokens" : null;
  inferenceConfig.maxTokens = maxParam ? positiveInteger(req[maxParam], maxParam) : opts.maxTokensDefault;
  if (req.temperature != null) inferenceConfig.temperature = finiteNumber(req.temperature, "temperature");
  if (req.top_p != null) inferenceConfig.topP = finiteNumber(req.top_p, "top_p");
  const stops = stopSequences(req.stop, caps);
  if (stops) inferenceConfig.stopSequences = stops;

  const toolConfig = toolConfigOf(req, t);
  const outputConfig = outputConfigOf(req, t); // may add a system instruction, so before `system` is read

  const additional: Json = {};
  if (req.top_k != null) additional.top_k = positiveInteger(req.top_k, "top_k");
  if (req.reasoning_effort != null) {
    if (!caps.reasoning) throw new TranslationError("reasoning_effort", "This model does not support reasoning_effort.");
    if (typeof req.reasoning_effort !== "string") throw new TranslationError("reasoning_effort", "reasoning_effort must be a string.");
    // Passed through as-is: which values a model accepts (and whether it reads this key) is model-specific.
    additional.reasoning_effort = req.reasoning_effort;
  }

  let requestMetadata: Json | undefined;
  if (req.user != null) {
    if (typeof req.user === "string" && REQUEST_METADATA_VALUE.test(req.user)) requestMetadata = { user: req.user };
    else t.warn("user was not forwarded: Bedrock request metadata allows at most 256 letters, digits, spaces and :_@$#=/+,.-");
  }

  for (const field of IGNORED_FIELDS) {
    const v = req[field];
    if (v === undefined || v === null) continue;
    // false is the default for the rest, but for parallel_tool_calls true is (and false is what gets lost).
    if (v === (field === "parallel_tool_calls")) continue;
    t.warn(`${field} is not supported by Bedrock Converse and was ignored.`);
  }
  if (Array.isArray(req.modalities) && req.modalities.some((m: unknown) => m !== "text")) {
    throw new TranslationError("modalities", 'Only the "text" output modality is supported.');
  }

  const body = converseBody({ turns: t.turns, system: t.system, inferenceConfig, toolConfig, outputConfig, additional });
  if (requestMetadata) body.requestMetadata = requestMetadata;

  const streamOptions = req.stream_options;
  const includeUsage = req.stream === true && isRecord(streamOptions) && streamOptions.include_usage === true;
  return { body, imageUrls: t.imageUrls, includeUsage, warnings: t.warnings };
}

/**
 * Fills the http(s) image placeholders left by `openAIToConverse` with downloaded bytes. Pure: returns a new body
 * and leaves the input untouched. `fetched` maps each URL to its media type (e.g. the response Content-Type) and
 * base64 content. A URL missing from the map, or a media type Converse cannot take, is a TranslationError.
 */
export function inlineConverseImages(
  body: Record<string, unknown>,
  fetched: Map<string, { mediaType: string; base64: string }>,
): Record<string, unknown> {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  const out = messages.map((message: unknown, i) => {
    if (!isRecord(message) || !Array.isArray(message.content)) return message;
    return {
      ...message,
      content: message.content.map((block: unknown) => {
        if (!isRecord(block) || !isRecord(block.image)) return block;
        const source = block.image.source;
        if (!isRecord(source) || typeof source.url !== "string") return block;
        const url = source.url;
        const image = fetched.get(url);
        // Name the host only: a whole URL may carry credentials in its query string.
        if (!image) throw new TranslationError("messages", `An image from ${hostOf(url)} (Converse message ${i}) was not downloaded.`);
        const mediaType = image.mediaType.split(";")[0]!.trim().toLowerCase();
        const format = own(IMAGE_FORMATS, mediaType);
        if (!format) {
          throw new TranslationError("messages", `An image from ${hostOf(url)} has type ${mediaType || "unknown"}; use png, jpeg, gif or webp.`);
        }
        return { image: { format, source: { bytes: image.base64 } } };
      }),
    };
  });
  return { ...body, messages: out };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}
