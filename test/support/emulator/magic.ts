// Magic prompts: a way to steer the emulator for callers that cannot reach the control API (e.g. the Claude Code CLI
// driven end to end). Markers are searched in every text of the last user message, because Claude Code wraps the
// prompt in other blocks and system reminders.
//
//   [[emu:tool NAME JSON]]   answer with a call of tool NAME with input JSON (stop reason tool_use)
//   [[emu:text SOME TEXT]]   answer exactly SOME TEXT
//   [[emu:words N]]          answer N deterministic words (long streams for benchmarks and memory tests)
//
// When the last message carries a tool result, the answer is `Tool result received: <first 200 chars>` instead,
// so a tool loop driven by [[emu:tool …]] ends after one round.

export type MagicAnswer =
  | { kind: "tool"; name: string; input: unknown }
  | { kind: "text"; text: string }
  | { kind: "words"; count: number }
  | { kind: "toolResult"; content: string };

/** The parts of a conversation the magic rules look at, extracted per protocol by claude.ts / converse.ts. */
export interface ConversationView {
  /** Text of the first tool result in the last message, or null when it carries none. */
  lastToolResult: string | null;
  /** Every text found in the last user message. */
  lastUserTexts: string[];
}

export function findMagic(view: ConversationView): MagicAnswer | null {
  if (view.lastToolResult !== null) return { kind: "toolResult", content: view.lastToolResult.slice(0, 200) };
  for (const text of view.lastUserTexts) {
    const found = parseTool(text) ?? parseText(text) ?? parseWords(text);
    if (found) return found;
  }
  return null;
}

function parseTool(text: string): MagicAnswer | null {
  const m = /\[\[emu:tool\s+([^\s\]]+)\s+/.exec(text);
  if (!m) return null;
  const start = m.index + m[0].length;
  // The JSON may itself contain "]]", so try each closing "]]" until the text before it parses.
  for (let end = text.indexOf("]]", start); end >= 0; end = text.indexOf("]]", end + 1)) {
    try {
      return { kind: "tool", name: m[1] ?? "", input: JSON.parse(text.slice(start, end)) };
    } catch {
      // not the right closing bracket yet
    }
  }
  return null;
}

function parseText(text: string): MagicAnswer | null {
  const m = /\[\[emu:text ([\s\S]*?)\]\]/.exec(text);
  return m ? { kind: "text", text: m[1] ?? "" } : null;
}

function parseWords(text: string): MagicAnswer | null {
  const m = /\[\[emu:words (\d+)\]\]/.exec(text);
  return m ? { kind: "words", count: Number(m[1]) } : null;
}

const WORD_LIST = [
  "breakwater", "harbour", "tide", "signal", "stream", "frame", "bedrock", "current",
  "anchor", "lantern", "gull", "pier", "swell", "beacon", "keel", "shore",
];

/** N deterministic words: word i is WORD_LIST[i mod 16]; the last one ends with a full stop. */
export function generateWords(count: number): string {
  const words: string[] = new Array(count);
  for (let i = 0; i < count; i++) words[i] = WORD_LIST[i % WORD_LIST.length] ?? "";
  return count > 0 ? `${words.join(" ")}.` : "";
}

/** Text of a tool result content that may be a string or a list of blocks ({type:"text",text} / {text} / {json}). */
export function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined ? "" : JSON.stringify(content);
  return content
    .map((block: unknown) => {
      if (block && typeof block === "object") {
        const b = block as Record<string, unknown>;
        if (typeof b.text === "string") return b.text;
        if ("json" in b) return JSON.stringify(b.json);
      }
      return "";
    })
    .join("");
}
