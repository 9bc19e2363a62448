// The FIFO queue of scripted behaviours. A request takes the first scenario that matches it AND that its operation
// can express: stream faults wait for a streaming call, answer-shaping fields are not eaten by CountTokens (which a
// gateway may call before the real request) nor by embedding calls (which have no text to shape). `http` and
// `stallMs` fit every operation.
import { normaliseOperationName, STREAMING_OPERATIONS } from "./routes.ts";
import type { Operation, Scenario } from "./types.ts";

interface Queued {
  scenario: Scenario;
  remaining: number;
}

/** Throws with a readable message when a scenario cannot be understood (surfaced as 400 by the control API). */
export function checkScenario(s: unknown): asserts s is Scenario {
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw new Error("a scenario must be a JSON object");
  const scenario = s as Scenario;
  if (scenario.match?.operation !== undefined && !normaliseOperationName(scenario.match.operation)) {
    throw new Error(`unknown operation in match: ${scenario.match.operation}`);
  }
  if (scenario.times !== undefined && (!Number.isInteger(scenario.times) || scenario.times < 1)) {
    throw new Error("times must be a positive integer");
  }
  if (scenario.http && (typeof scenario.http.status !== "number" || typeof scenario.http.errorType !== "string")) {
    throw new Error("http needs a numeric status and an errorType");
  }
  if (scenario.toolUse && typeof scenario.toolUse.name !== "string") throw new Error("toolUse needs a name");
  if (scenario.redactedThinking !== undefined && (typeof scenario.redactedThinking !== "string" || scenario.redactedThinking === "")) {
    throw new Error("redactedThinking must be a non-empty string");
  }
}

/** What the request will answer: generated content (Claude, Converse) or vectors (the embedding models). */
export type AnswerKind = "generation" | "embedding";

function fits(s: Scenario, operation: Operation, modelId: string, kind: AnswerKind): boolean {
  if (s.match?.operation !== undefined && normaliseOperationName(s.match.operation) !== operation) return false;
  if (s.match?.modelId !== undefined && s.match.modelId !== modelId) return false;
  const streamOnly = s.streamException !== undefined || s.streamErrorFrame !== undefined || s.corruptCrcAfterEvents !== undefined;
  if (streamOnly && !STREAMING_OPERATIONS.has(operation)) return false;
  if ((s.truncatedBody || "replaceBody" in s) && STREAMING_OPERATIONS.has(operation)) return false;
  const shapesAnswer =
    s.text !== undefined || s.toolUse !== undefined || s.thinking !== undefined || s.redactedThinking !== undefined || s.usage !== undefined;
  if ((shapesAnswer || streamOnly) && (operation === "CountTokens" || kind === "embedding")) return false;
  return true;
}

export class ScenarioQueue {
  private queue: Queued[] = [];

  add(s: Scenario): void {
    checkScenario(s);
    this.queue.push({ scenario: s, remaining: s.times ?? 1 });
  }

  clear(): void {
    this.queue = [];
  }

  get size(): number {
    return this.queue.length;
  }

  take(operation: Operation, modelId: string, kind: AnswerKind = "generation"): Scenario | undefined {
    const index = this.queue.findIndex((q) => fits(q.scenario, operation, modelId, kind));
    const found = this.queue[index];
    if (!found) return undefined;
    found.remaining--;
    if (found.remaining <= 0) this.queue.splice(index, 1);
    return found.scenario;
  }
}
