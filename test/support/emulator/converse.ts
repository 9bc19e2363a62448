// Converse / ConverseStream (BEDROCK_WIRE §4): request shape checks with AWS-style messages, the JSON answer, and
// the stream events (text blocks start straight with deltas; tool input arrives as JSON string fragments).
import { validation } from "./errors.ts";
import { converseFrame } from "./frames.ts";
import { toolResultText, type ConversationView } from "./magic.ts";
import { randomId, splitIntoDeltas, splitJson, type AnswerPlan, type PlannedBlock } from "./plan.ts";
import type { CacheTtl, Segment, UsageNumbers } from "./tokens.ts";
import type { StreamTiming } from "./claude.ts";

type Json = Record<string, unknown>;

export interface ConverseRequest {
  messages: Array<{ role: "user" | "assistant"; content: Json[] }>;
  system?: Json[];
  inferenceConfig?: { maxTokens?: number };
  toolConfig?: { tools?: Json[] };
  [key: string]: unknown;
}

const CONTENT_MEMBERS = new Set([
  "text", "image", "document", "video", "audio", "toolUse", "toolResult", "reasoningContent", "cachePoint",
  "guardContent", "citationsContent", "searchResult", "toolAddition", "toolRemoval",
]);
const SYSTEM_MEMBERS = new Set(["text", "guardContent", "cachePoint"]);
const TOOL_MEMBERS = new Set(["toolSpec", "systemTool", "cachePoint"]);
const TOOL_RESULT_MEMBERS = new Set(["text", "json", "image", "document", "video", "searchResult"]);
const SOURCE_MEMBERS = new Set(["bytes", "s3Location", "text", "content"]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** AWS's generic constraint-violation wording ("1 validation error detected: Value … at '…' failed to satisfy …"). */
const constraint = (value: string, path: string, rule: string) =>
  validation(`1 validation error detected: Value ${value} at '${path}' failed to satisfy constraint: ${rule}`);

/** A union value must set exactly one member (SDK: ContentBlock, SystemContentBlock, Tool, ToolResultContentBlock). */
function checkUnion(value: unknown, path: string, members: ReadonlySet<string>, what: string): string {
  if (!isObject(value)) throw validation(`The ${what} at ${path} must be an object.`);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw validation(`The ${what} at ${path} must set exactly one member, found ${keys.length}.`);
  const [key = ""] = keys;
  if (!members.has(key)) throw validation(`The ${what} at ${path} has an unknown member '${key}'.`);
  return key;
}

function checkText(text: unknown, path: string): void {
  if (typeof text !== "string") throw validation(`The text field in the ContentBlock object at ${path} must be a string.`);
  if (text.trim() === "") throw validation(`The text field in the ContentBlock object at ${path} is blank. Add text to the text field, and try again.`);
}

function checkMediaSource(block: Json, path: string, kind: string): void {
  const source = block.source;
  if (!isObject(source)) throw constraint("null", `${path}.${kind}.source`, "Member must not be null");
  const key = Object.keys(source)[0] ?? "";
  // There is no URL source in Converse: images must be bytes (base64 in JSON) or an S3 location.
  if (Object.keys(source).length !== 1 || !SOURCE_MEMBERS.has(key) || (kind === "image" && key !== "bytes" && key !== "s3Location")) {
    throw validation(`The ${kind} source at ${path}.${kind}.source must be one of: bytes, s3Location. Found: ${Object.keys(source).join(", ") || "nothing"}.`);
  }
}

function checkContentBlock(block: unknown, path: string): void {
  const member = checkUnion(block, path, CONTENT_MEMBERS, "ContentBlock object");
  const b = block as Json;
  const value = b[member];
  if (member === "text") checkText(value, path);
  else if (member === "image" || member === "document" || member === "video") {
    if (!isObject(value)) throw validation(`The ${member} at ${path} must be an object.`);
    checkMediaSource(b[member] as Json, path, member);
  } else if (member === "toolUse") {
    if (!isObject(value) || typeof value.toolUseId !== "string" || typeof value.name !== "string" || !("input" in value)) {
      throw validation(`The toolUse block at ${path} must have toolUseId, name and input.`);
    }
  } else if (member === "toolResult") {
    if (!isObject(value) || typeof value.toolUseId !== "string" || !Array.isArray(value.content)) {
      throw validation(`The toolResult block at ${path} must have toolUseId and a content list.`);
    }
    value.content.forEach((inner: unknown, k) => {
      const innerPath = `${path}.toolResult.content.${k}`;
      const innerMember = checkUnion(inner, innerPath, TOOL_RESULT_MEMBERS, "ToolResultContentBlock object");
      if (innerMember === "text") checkText((inner as Json).text, innerPath);
    });
  } else if (member === "cachePoint") {
    checkCachePoint(value, path);
  }
}

function checkCachePoint(value: unknown, path: string): void {
  if (!isObject(value) || value.type !== "default") {
    throw constraint(JSON.stringify(isObject(value) ? value.type : value) ?? "null", `${path}.cachePoint.type`, "Member must satisfy enum value set: [default]");
  }
  if (value.ttl !== undefined && value.ttl !== "5m" && value.ttl !== "1h") {
    throw constraint(`'${String(value.ttl)}'`, `${path}.cachePoint.ttl`, "Member must satisfy enum value set: [5m, 1h]");
  }
}

export function validateConverseBody(body: unknown): asserts body is ConverseRequest {
  if (!isObject(body)) throw validation("The request body must be a JSON object.");
  const { messages } = body;
  if (messages === undefined || messages === null) throw constraint("null", "messages", "Member must not be null");
  if (!Array.isArray(messages)) throw validation("messages must be a list.");
  if (messages.length === 0) throw validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
  messages.forEach((m: unknown, i) => {
    if (!isObject(m)) throw validation(`messages.${i} must be an object.`);
    if (m.role !== "user" && m.role !== "assistant") {
      throw constraint(`'${String(m.role)}'`, `messages.${i + 1}.member.role`, "Member must satisfy enum value set: [user, assistant]");
    }
    if (!Array.isArray(m.content)) throw constraint("null", `messages.${i + 1}.member.content`, "Member must not be null");
    m.content.forEach((block: unknown, j) => checkContentBlock(block, `messages.${i}.content.${j}`));
  });
  if ((messages[0] as Json).role !== "user") {
    throw validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.");
  }
  for (let i = 1; i < messages.length; i++) {
    if ((messages[i] as Json).role === (messages[i - 1] as Json).role) {
      throw validation("A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
    }
  }
  if (body.system !== undefined) {
    if (!Array.isArray(body.system)) throw validation("system must be a list.");
    body.system.forEach((block: unknown, j) => {
      const member = checkUnion(block, `system.${j}`, SYSTEM_MEMBERS, "SystemContentBlock object");
      if (member === "text") checkText((block as Json).text, `system.${j}`);
      if (member === "cachePoint") checkCachePoint((block as Json).cachePoint, `system.${j}`);
    });
  }
  const maxTokens = isObject(body.inferenceConfig) ? body.inferenceConfig.maxTokens : undefined;
  if (maxTokens !== undefined && (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw constraint(String(maxTokens), "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1");
  }
  if (body.toolConfig !== undefined) {
    const tools = isObject(body.toolConfig) ? body.toolConfig.tools : undefined;
    if (!Array.isArray(tools) || tools.length === 0) throw constraint("null", "toolConfig.tools", "Member must have length greater than or equal to 1");
    tools.forEach((tool: unknown, i) => {
      const member = checkUnion(tool, `toolConfig.tools.${i}`, TOOL_MEMBERS, "Tool object");
      const spec = (tool as Json)[member];
      if (member === "toolSpec" && (!isObject(spec) || typeof spec.name !== "string" || !isObject(spec.inputSchema) || !("json" in spec.inputSchema))) {
        throw validation(`The toolSpec at toolConfig.tools.${i} must have a name and inputSchema.json.`);
      }
      if (member === "cachePoint") checkCachePoint(spec, `toolConfig.tools.${i}`);
      if (member === "toolSpec" && (spec as { inputSchema: { json: Json } }).inputSchema.json.type !== "object") {
        throw validation(`The value at toolConfig.tools.${i}.toolSpec.inputSchema.json.type must be one of the following: object.`);
      }
    });
  }
}

/** Same formula as Claude (tokens.ts); a cachePoint block is the breakpoint and counts as part of the prefix. */
export function converseSegments(body: ConverseRequest): Segment[] {
  const segment = (value: Json): Segment => {
    const cp = isObject(value.cachePoint) ? value.cachePoint : undefined;
    return cp ? { json: JSON.stringify(value), breakpoint: (cp.ttl === "1h" ? "1h" : "5m") as CacheTtl } : { json: JSON.stringify(value) };
  };
  const out: Segment[] = (body.toolConfig?.tools ?? []).map(segment);
  out.push(...(body.system ?? []).map(segment));
  for (const m of body.messages) out.push(...m.content.map(segment));
  return out;
}

export function converseConversationView(body: ConverseRequest): ConversationView {
  const last = body.messages[body.messages.length - 1];
  const toolResult = last?.role === "user" ? last.content.find((b) => isObject(b.toolResult)) : undefined;
  const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
  const texts = (lastUser?.content ?? []).filter((b) => typeof b.text === "string").map((b) => b.text as string);
  return {
    lastToolResult: toolResult ? toolResultText((toolResult.toolResult as Json).content) : null,
    lastUserTexts: texts,
  };
}

export interface ConverseAnswer {
  plan: AnswerPlan;
  usage: UsageNumbers;
  toolIds: string[];
}

export function newConverseAnswer(plan: AnswerPlan, usage: UsageNumbers): ConverseAnswer {
  return { plan, usage, toolIds: plan.blocks.map(() => randomId("tooluse_")) };
}

function converseBlock(block: PlannedBlock, id: string): Json {
  switch (block.type) {
    case "thinking":
      // Only Claude signs its reasoning; other models send the text alone.
      return { reasoningContent: { reasoningText: block.signature ? { text: block.text, signature: block.signature } : { text: block.text } } };
    case "redacted_thinking":
      return { reasoningContent: { redactedContent: redactedBytes(block.data) } };
    case "text":
      return { text: block.text };
    case "tool_use":
      return { toolUse: { toolUseId: id, name: block.name, input: block.input } };
  }
}

/** `redactedContent` is a blob, which restJson1 carries base64-encoded: here the UTF-8 bytes of the data string. */
const redactedBytes = (data: string): string => Buffer.from(data, "utf8").toString("base64");

function converseUsage(u: UsageNumbers): Json {
  const usage: Json = {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens,
    cacheReadInputTokens: u.cacheReadTokens,
    cacheWriteInputTokens: u.cacheWriteTokens,
  };
  // One entry per TTL written, 1-hour first (longer TTLs must precede shorter ones in a prompt).
  const details = [
    { inputTokens: u.cacheWrite1hTokens, ttl: "1h" },
    { inputTokens: u.cacheWriteTokens - u.cacheWrite1hTokens, ttl: "5m" },
  ].filter((d) => d.inputTokens > 0);
  if (details.length > 0) usage.cacheDetails = details;
  return usage;
}

export function converseResponse(a: ConverseAnswer, latencyMs: number): Json {
  return {
    output: { message: { role: "assistant", content: a.plan.blocks.map((b, i) => converseBlock(b, a.toolIds[i] ?? "")) } },
    stopReason: a.plan.stopReason,
    usage: converseUsage(a.usage),
    metrics: { latencyMs },
  };
}

export function converseStreamFrames(a: ConverseAnswer, timing: StreamTiming): Array<() => Uint8Array> {
  const frames: Array<() => Uint8Array> = [];
  const push = (type: string, member: () => Json) => frames.push(() => converseFrame(type, member()));
  push("messageStart", () => ({ role: "assistant" }));
  a.plan.blocks.forEach((block, contentBlockIndex) => {
    if (block.type === "thinking") {
      for (const text of splitIntoDeltas(block.text)) {
        push("contentBlockDelta", () => ({ contentBlockIndex, delta: { reasoningContent: { text } } }));
      }
      if (block.signature) push("contentBlockDelta", () => ({ contentBlockIndex, delta: { reasoningContent: { signature: block.signature } } }));
    } else if (block.type === "redacted_thinking") {
      push("contentBlockDelta", () => ({ contentBlockIndex, delta: { reasoningContent: { redactedContent: redactedBytes(block.data) } } }));
    } else if (block.type === "text") {
      // ContentBlockStart has no text member: text blocks begin with their first delta.
      for (const text of splitIntoDeltas(block.text)) push("contentBlockDelta", () => ({ contentBlockIndex, delta: { text } }));
    } else {
      const toolUseId = a.toolIds[contentBlockIndex] ?? "";
      push("contentBlockStart", () => ({ contentBlockIndex, start: { toolUse: { toolUseId, name: block.name } } }));
      for (const input of splitJson(JSON.stringify(block.input ?? {}))) {
        push("contentBlockDelta", () => ({ contentBlockIndex, delta: { toolUse: { input } } }));
      }
    }
    push("contentBlockStop", () => ({ contentBlockIndex }));
  });
  push("messageStop", () => ({ stopReason: a.plan.stopReason }));
  push("metadata", () => ({ usage: converseUsage(a.usage), metrics: { latencyMs: Date.now() - timing.startedAt } }));
  return frames;
}
