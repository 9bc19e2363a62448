/**
 * Reads the token usage the origin reports while its answer streams through, without holding the answer back:
 * OpenAI (`usage.prompt_tokens`…, in the body or the last SSE chunk) and Anthropic (`usage.input_tokens`…, in the
 * body, `message_start` and `message_delta`). Pure: no I/O; the caller decides what to do with the figures.
 */
import type { TokenUsage } from "../meter/cost.ts";

/** A JSON answer larger than this is passed on but not parsed for usage (chat answers are far smaller). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

export interface TapResult {
  usage: TokenUsage | null;
  /** False when the stream was cut short (client gone, origin failed). */
  completed: boolean;
}

export function emptyUsage(): TokenUsage {
  return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
}

/** Usage from one parsed JSON document or SSE event; null when it carries none. */
export function usageOf(doc: unknown): TokenUsage | null {
  if (!doc || typeof doc !== "object") return null;
  const d = doc as Record<string, unknown>;
  const nested = d.message && typeof d.message === "object" ? (d.message as Record<string, unknown>).usage : undefined;
  const u = (d.usage ?? nested) as Record<string, unknown> | undefined;
  if (!u || typeof u !== "object") return null;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);
  if ("prompt_tokens" in u || "completion_tokens" in u) {
    const cached = n((u.prompt_tokens_details as Record<string, unknown> | undefined)?.cached_tokens);
    return { input_tokens: Math.max(0, n(u.prompt_tokens) - cached), output_tokens: n(u.completion_tokens), cache_read_input_tokens: cached, cache_creation_input_tokens: 0 };
  }
  if ("input_tokens" in u || "output_tokens" in u) {
    return {
      input_tokens: n(u.input_tokens),
      output_tokens: n(u.output_tokens),
      cache_read_input_tokens: n(u.cache_read_input_tokens),
      cache_creation_input_tokens: n(u.cache_creation_input_tokens),
    };
  }
  return null;
}

/** Field by field, the larger figure: streams repeat and grow their counts (message_start, then message_delta). */
function merge(a: TokenUsage | null, b: TokenUsage | null): TokenUsage | null {
  if (!a) return b;
  if (!b) return a;
  return {
    input_tokens: Math.max(a.input_tokens, b.input_tokens),
    output_tokens: Math.max(a.output_tokens, b.output_tokens),
    cache_read_input_tokens: Math.max(a.cache_read_input_tokens, b.cache_read_input_tokens),
    cache_creation_input_tokens: Math.max(a.cache_creation_input_tokens, b.cache_creation_input_tokens),
  };
}

/** Feeds on the answer's bytes as they pass and reports the usage seen at the end. */
export class UsageScanner {
  private readonly sse: boolean;
  private readonly decoder = new TextDecoder();
  private usage: TokenUsage | null = null;
  private pending = "";
  private json = "";
  private jsonBytes = 0;

  constructor(contentType: string) {
    this.sse = /text\/event-stream/i.test(contentType);
  }

  feed(chunk: Uint8Array): void {
    if (this.sse) {
      this.pending += this.decoder.decode(chunk, { stream: true });
      this.scanLines(false);
    } else if (this.jsonBytes + chunk.byteLength <= MAX_JSON_BYTES) {
      this.jsonBytes += chunk.byteLength;
      this.json += this.decoder.decode(chunk, { stream: true });
    } else this.jsonBytes = Infinity;
  }

  /** The usage of a complete answer. */
  finish(): TokenUsage | null {
    if (this.sse) {
      this.pending += this.decoder.decode();
      this.scanLines(true);
    } else if (this.jsonBytes !== Infinity && this.json) {
      try {
        this.usage = usageOf(JSON.parse(this.json + this.decoder.decode()));
      } catch {
        // not JSON: nothing to count
      }
    }
    return this.usage;
  }

  /** What was seen of an answer cut short (only streamed events count). */
  partial(): TokenUsage | null {
    return this.sse ? this.usage : null;
  }

  private scanLines(final: boolean): void {
    const lines = this.pending.split("\n");
    this.pending = final ? "" : (lines.pop() ?? "");
    for (const line of lines) {
      const m = /^data:\s?(.*)$/.exec(line.trimEnd());
      if (!m || !m[1] || !m[1].includes("usage")) continue;
      try {
        this.usage = merge(this.usage, usageOf(JSON.parse(m[1])));
      } catch {
        // not JSON: nothing to count
      }
    }
  }
}

/**
 * The origin's body, passed on chunk by chunk (pull-driven: nothing is read ahead of the client), calling `onEnd`
 * exactly once when it ends, fails or the client cancels it.
 */
export function tapUsage(body: ReadableStream<Uint8Array>, contentType: string, onEnd: (r: TapResult) => void): ReadableStream<Uint8Array> {
  const scanner = new UsageScanner(contentType);
  const reader = body.getReader();
  let ended = false;
  const end = (completed: boolean) => {
    if (ended) return;
    ended = true;
    onEnd({ usage: completed ? scanner.finish() : scanner.partial(), completed });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end(true);
          controller.close();
          return;
        }
        scanner.feed(value);
        controller.enqueue(value);
      } catch (err) {
        end(false);
        controller.error(err);
      }
    },
    cancel(reason) {
      end(false);
      return reader.cancel(reason);
    },
  });
}
