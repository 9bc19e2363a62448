// Claude-Code-shaped traffic for the budget and estimate tests and the benchmark: a session with a dozen tools, a
// long system prompt and a growing history (tool calls, file contents), about 100–150k tokens a request, cache
// breakpoints where Claude Code puts them (the system prompt, the previous turn, the newest message), max_tokens
// 32000, streaming. After its first request a session's prompt is almost all cache reads. The emulator answers
// each turn with the number of words asked for in the last message ([[emu:words N]]), so answers vary in length.

export interface SessionOptions {
  /** Makes the session's text unique (the emulator's prompt cache is shared by everything that calls it). */
  seed: string;
  /** Approximate prompt size, in the emulator's tokens (4 characters each). */
  tokens?: number;
  model?: string;
}

type Block = Record<string, unknown>;
type Message = { role: "user" | "assistant"; content: Block[] };

const WORDS = "const let return function await async import export class interface type if else for while switch case break test expect describe request response stream token cache budget meter key value error status model".split(" ");

/** Deterministic filler text that reads like code and prose (a linear congruential generator over a word list). */
export function filler(seed: string, chars: number): string {
  let x = 0;
  for (const ch of seed) x = (Math.imul(x, 31) + ch.charCodeAt(0)) >>> 0;
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w = WORDS[x % WORDS.length]!;
    const sep = x % 11 === 0 ? ";\n" : x % 7 === 0 ? "(" : " ";
    parts.push(w, sep);
    n += w.length + sep.length;
  }
  return parts.join("").slice(0, chars);
}

export class ClaudeCodeSession {
  readonly model: string;
  private readonly tools: Block[];
  private readonly system: Block[];
  private readonly history: Message[] = [];
  private turns = 0;
  private lastAsk = -1;

  constructor(private readonly opts: SessionOptions) {
    this.model = opts.model ?? "claude-sonnet-4-6";
    const seed = opts.seed;
    this.tools = Array.from({ length: 12 }, (_, i) => ({
      name: `Tool${i}`,
      description: filler(`${seed}-tool-${i}`, 1500),
      input_schema: { type: "object", properties: { path: { type: "string", description: filler(`${seed}-p${i}`, 200) } }, required: ["path"] },
    }));
    this.system = [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli;" },
      { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: "text", text: filler(`${seed}-system`, 40_000), cache_control: { type: "ephemeral" } },
    ];
    const target = (opts.tokens ?? 120_000) * 4 - 60_000;
    for (let i = 0, size = 0; size < target; i++) {
      const file = filler(`${seed}-file-${i}`, 6000);
      this.history.push({ role: "user", content: [{ type: "text", text: `Look at file ${i}. ${filler(`${seed}-ask-${i}`, 300)}` }] });
      this.history.push({ role: "assistant", content: [{ type: "text", text: filler(`${seed}-say-${i}`, 400) }, { type: "tool_use", id: `toolu_${i}`, name: "Tool1", input: { path: `src/file${i}.ts` } }] });
      this.history.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content: file }] });
      this.history.push({ role: "assistant", content: [{ type: "text", text: filler(`${seed}-done-${i}`, 500) }] });
      size += 7300;
    }
  }

  /**
   * The next request of the session (Anthropic Messages body): the history so far plus a new instruction asking
   * for an answer of `answerWords` words. The previous turn's last block keeps a breakpoint, so its prefix is read.
   */
  next(answerWords: number): Record<string, unknown> {
    const t = this.turns++;
    const ask: Message = { role: "user", content: [{ type: "text", text: `${filler(`${this.opts.seed}-turn-${t}`, 1200)} [[emu:words ${answerWords}]]` }] };
    // The previous request's last breakpoint stays marked, so this request reads everything up to it.
    const messages = this.history.map((m, i) => (i === this.lastAsk ? withBreakpoint(m) : m));
    messages.push(withBreakpoint(ask));
    this.lastAsk = this.history.length;
    this.history.push(ask, { role: "assistant", content: [{ type: "text", text: filler(`${this.opts.seed}-answer-${t}`, 800) }] });
    return { model: this.model, max_tokens: 32_000, stream: true, system: this.system, tools: this.tools, messages };
  }

  /** The same request as an OpenAI chat completion (LiteLLM's cache_control on messages and content parts). */
  nextOpenAI(answerWords: number): Record<string, unknown> {
    return toOpenAI(this.next(answerWords));
  }
}

function withBreakpoint(m: Message): Message {
  const last = m.content.at(-1)!;
  return { ...m, content: [...m.content.slice(0, -1), { ...last, cache_control: { type: "ephemeral" } }] };
}

/** Anthropic body → OpenAI chat body with the same text, tools and cache breakpoints. */
function toOpenAI(body: Record<string, unknown>): Record<string, unknown> {
  const system = (body.system as Block[]).map((b) => ({ type: "text", text: b.text, ...(b.cache_control ? { cache_control: b.cache_control } : {}) }));
  const messages: Record<string, unknown>[] = [{ role: "system", content: system }];
  for (const m of body.messages as Message[]) {
    const texts: Block[] = [];
    for (const b of m.content) {
      if (b.type === "text") texts.push({ type: "text", text: b.text, ...(b.cache_control ? { cache_control: b.cache_control } : {}) });
      else if (b.type === "tool_result") texts.push({ type: "text", text: `Result of ${String(b.tool_use_id)}:\n${String(b.content)}` });
      else if (b.type === "tool_use") texts.push({ type: "text", text: `Calling ${String(b.name)} ${JSON.stringify(b.input)}` });
    }
    const marked = m.content.find((b) => b.cache_control)?.cache_control;
    if (m.role === "assistant") messages.push({ role: "assistant", content: texts.map((t) => t.text).join("\n"), ...(marked ? { cache_control: marked } : {}) });
    else messages.push({ role: "user", content: texts });
  }
  const tools = (body.tools as Block[]).map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.input_schema } }));
  return { model: body.model, max_tokens: body.max_tokens, stream: true, stream_options: { include_usage: true }, messages, tools };
}
