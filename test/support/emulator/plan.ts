// Decides WHAT the model answers, independently of the protocol that carries it (Claude invoke or Converse):
// a scripted scenario wins, then a magic prompt, then the default sentence.
import { createHash, randomInt } from "node:crypto";
import { findMagic, generateWords, type ConversationView } from "./magic.ts";
import { countWords } from "./tokens.ts";
import type { Scenario } from "./types.ts";

export const DEFAULT_TEXT = "Hello from the Bedrock emulator.";

export type PlannedBlock =
  | { type: "thinking"; text: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: unknown };

export type StopReason = "end_turn" | "tool_use" | "max_tokens";

export interface AnswerPlan {
  blocks: PlannedBlock[];
  stopReason: StopReason;
  /** Computed with the formula in tokens.ts (before any scenario usage override). */
  outputTokens: number;
}

export function blockTokens(block: PlannedBlock): number {
  switch (block.type) {
    case "tool_use":
      return Math.ceil(JSON.stringify(block.input ?? {}).length / 4);
    case "redacted_thinking":
      return 0; // opaque data: no words to count (documented in tokens.ts)
    default:
      return countWords(block.text);
  }
}

/** A stable, signature-looking string: same thinking text → same signature. */
export function thinkingSignature(text: string): string {
  return `EqQBCkgIARABGAIiQ${createHash("sha256").update(text).digest("base64")}`;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export function randomId(prefix: string, length = 22): string {
  let s = prefix;
  for (let i = 0; i < length; i++) s += BASE62[randomInt(BASE62.length)];
  return s;
}

export function planAnswer(scenario: Scenario | undefined, view: ConversationView, maxTokens: number | undefined): AnswerPlan {
  const blocks: PlannedBlock[] = [];
  if (scenario?.thinking !== undefined) {
    blocks.push({ type: "thinking", text: scenario.thinking, signature: thinkingSignature(scenario.thinking) });
  }
  if (scenario?.redactedThinking !== undefined) blocks.push({ type: "redacted_thinking", data: scenario.redactedThinking });
  if (scenario?.text !== undefined || scenario?.toolUse !== undefined) {
    if (scenario.text !== undefined) blocks.push({ type: "text", text: scenario.text });
    if (scenario.toolUse) blocks.push({ type: "tool_use", name: scenario.toolUse.name, input: scenario.toolUse.input });
  } else {
    blocks.push(...magicOrDefault(view));
  }
  const stopReason: StopReason = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  return truncateToMaxTokens({ blocks, stopReason, outputTokens: 1 + blocks.reduce((n, b) => n + blockTokens(b), 0) }, maxTokens);
}

function magicOrDefault(view: ConversationView): PlannedBlock[] {
  const magic = findMagic(view);
  switch (magic?.kind) {
    case "tool":
      return [{ type: "tool_use", name: magic.name, input: magic.input }];
    case "text":
      return [{ type: "text", text: magic.text }];
    case "words":
      return [{ type: "text", text: generateWords(magic.count) }];
    case "toolResult":
      return [{ type: "text", text: `Tool result received: ${magic.content}` }];
    default:
      return [{ type: "text", text: DEFAULT_TEXT }];
  }
}

/**
 * Like a real model, a text answer longer than max_tokens is cut off with stop reason "max_tokens" (so gateways can
 * test their `length` mapping). Tool calls are never cut.
 */
function truncateToMaxTokens(plan: AnswerPlan, maxTokens: number | undefined): AnswerPlan {
  if (maxTokens === undefined || plan.outputTokens <= maxTokens || plan.stopReason !== "end_turn") return plan;
  const lastText = plan.blocks.findLastIndex((b) => b.type === "text");
  const block = plan.blocks[lastText];
  if (!block || block.type !== "text") return plan;
  const others = plan.outputTokens - 1 - countWords(block.text);
  const keep = Math.max(0, maxTokens - 1 - others);
  const words = block.text.match(/\s*\S+/g) ?? [];
  const text = words.slice(0, keep).join("");
  const blocks = plan.blocks.map((b, i) => (i === lastText ? { type: "text" as const, text } : b));
  return { blocks, stopReason: "max_tokens", outputTokens: 1 + others + keep };
}

/** Splits text into deltas of a few words (whitespace kept), so streams carry many frames. */
export function splitIntoDeltas(text: string, wordsPerDelta = 3): string[] {
  const pieces = text.match(/\s*\S+\s*/g);
  if (!pieces) return [text];
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += wordsPerDelta) out.push(pieces.slice(i, i + wordsPerDelta).join(""));
  return out;
}

/** Splits serialised tool input into JSON fragments, as Bedrock streams input_json_delta / toolUse.input. */
export function splitJson(json: string, size = 16): string[] {
  const out: string[] = [];
  for (let i = 0; i < json.length; i += size) out.push(json.slice(i, i + size));
  return out.length > 0 ? out : [""];
}
