// Token usage from Claude responses relayed through Bedrock, for metering and spend. Streams spread usage
// over several events, and where each number lands varies between deployments (BEDROCK_WIRE.md §2.3, §11.15),
// so the tracker takes every source and keeps the most complete figure.

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Of cache_creation_input_tokens, those written with the 1-hour TTL (billed at a higher rate). */
  cache_creation_1h_input_tokens?: number;
}

/** The 1-hour share of cache writes, from the `cache_creation` breakdown when the response has one. */
function oneHourWrites(u: Record<string, unknown> | undefined): number | undefined {
  return count(record(u?.cache_creation)?.ephemeral_1h_input_tokens);
}

function count(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

export function emptyUsage(): AnthropicUsage {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

/** Usage of a non-streaming Message body (missing or null fields count as 0). */
export function usageFromMessage(msg: any): AnthropicUsage {
  const u = record(record(msg)?.usage);
  return {
    input_tokens: count(u?.input_tokens) ?? 0,
    output_tokens: count(u?.output_tokens) ?? 0,
    cache_creation_input_tokens: count(u?.cache_creation_input_tokens) ?? 0,
    cache_read_input_tokens: count(u?.cache_read_input_tokens) ?? 0,
    cache_creation_1h_input_tokens: oneHourWrites(u) ?? 0,
  };
}

export class UsageTracker {
  private readonly current = emptyUsage();

  /** Feed every decoded stream event, in order; unknown events are ignored. */
  observe(event: any): void {
    const ev = record(event);
    if (!ev) return;
    switch (ev.type) {
      case "message_start": {
        const u = record(record(ev.message)?.usage);
        if (!u) return;
        this.current.input_tokens = count(u.input_tokens) ?? this.current.input_tokens;
        this.current.cache_creation_input_tokens =
          count(u.cache_creation_input_tokens) ?? this.current.cache_creation_input_tokens;
        this.current.cache_read_input_tokens = count(u.cache_read_input_tokens) ?? this.current.cache_read_input_tokens;
        this.current.cache_creation_1h_input_tokens = oneHourWrites(u) ?? this.current.cache_creation_1h_input_tokens;
        this.raiseOutput(u.output_tokens);
        return;
      }
      case "message_delta":
        this.takeLateUsage(record(ev.usage));
        return;
      case "message_stop": {
        // Some deployments put usage on message_stop itself (LiteLLM `_promote_message_stop_usage`).
        this.takeLateUsage(record(ev.usage));
        const m = record(ev["amazon-bedrock-invocationMetrics"]);
        if (!m) return;
        this.raise("input_tokens", m.inputTokenCount);
        this.raiseOutput(m.outputTokenCount);
        this.raise("cache_read_input_tokens", m.cacheReadInputTokenCount);
        this.raise("cache_creation_input_tokens", m.cacheWriteInputTokenCount);
        return;
      }
    }
  }

  get usage(): AnthropicUsage {
    return { ...this.current };
  }

  /** message_delta usage: output_tokens is cumulative; input/cache figures replace earlier ones when non-zero. */
  private takeLateUsage(u: Record<string, unknown> | undefined): void {
    if (!u) return;
    this.raiseOutput(u.output_tokens);
    for (const key of ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"] as const) {
      const n = count(u[key]);
      if (n) this.current[key] = n;
    }
    const oneHour = oneHourWrites(u);
    if (oneHour) this.current.cache_creation_1h_input_tokens = oneHour;
  }

  private raiseOutput(v: unknown): void {
    this.raise("output_tokens", v);
  }

  private raise(key: keyof AnthropicUsage, v: unknown): void {
    const n = count(v);
    if (n !== undefined && n > (this.current[key] ?? 0)) this.current[key] = n;
  }
}
