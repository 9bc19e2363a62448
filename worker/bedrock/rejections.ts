// What Bedrock refuses, learned at run time. New Claude Code releases send new beta flags and fields before Bedrock
// accepts them; Bedrock answers with a 400 ValidationException naming the culprit. Rather than fail the user's
// request (and every later one), the gateway drops what was named, retries once, and remembers it per model so later
// requests never send it again.

/** Something Bedrock named as unacceptable in an InvokeModel body. */
export type Rejection =
  | { kind: "beta"; flag: string }
  /** A top-level key (`output_config`) or a key inside one (`output_config.effort`). */
  | { kind: "field"; path: string }
  /** A key inside every tool definition (`custom`, `defer_loading`, `eager_input_streaming`). */
  | { kind: "toolField"; key: string };

const BETA = /invalid beta flag:?\s*['"`]?([A-Za-z0-9._-]+)/i;
const EXTRANEOUS = /extraneous key \[([A-Za-z0-9_]+)\] is not permitted/g;
const EXTRA_INPUT = /(?:^|[\s"'])((?:[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_]+)*): Extra inputs are not permitted/g;

/** Reads Bedrock's validation message; returns what it names that the gateway could drop (possibly nothing). */
export function parseRejections(message: string): Rejection[] {
  const out: Rejection[] = [];
  const beta = BETA.exec(message);
  if (beta?.[1]) out.push({ kind: "beta", flag: beta[1] });
  for (const m of message.matchAll(EXTRANEOUS)) if (m[1] && m[1] !== "model" && m[1] !== "stream") out.push({ kind: "field", path: m[1] });
  for (const m of message.matchAll(EXTRA_INPUT)) {
    const parts = (m[1] ?? "").split(".");
    if (parts[0] === "tools" && /^\d+$/.test(parts[1] ?? "") && parts[2]) {
      // "tools.11.custom.defer_loading": Bedrock names the tool variant ("custom") and then the key it refuses;
      // "tools.3.strict": just the key.
      out.push({ kind: "toolField", key: parts[3] ?? parts[2] });
    } else if (parts.length <= 2 && parts.every((p) => !/^\d+$/.test(p)) && parts[0] !== "messages") {
      // Top-level or one level down ("output_config.effort"). Never message content: that is the user's data.
      out.push({ kind: "field", path: parts.join(".") });
    }
  }
  return out;
}

const keyOf = (r: Rejection) => (r.kind === "beta" ? `beta:${r.flag}` : r.kind === "field" ? `field:${r.path}` : `tool:${r.key}`);

/** Per-isolate memory of rejections, by model. Only data; bounded. */
export class RejectionMemory {
  private readonly byModel = new Map<string, Map<string, Rejection>>();

  constructor(private readonly maxPerModel = 64) {}

  remember(model: string, rejections: Rejection[]): void {
    let m = this.byModel.get(model);
    if (!m) this.byModel.set(model, (m = new Map()));
    for (const r of rejections) if (m.size < this.maxPerModel) m.set(keyOf(r), r);
  }

  known(model: string): Rejection[] {
    return [...(this.byModel.get(model)?.values() ?? [])];
  }
}

/**
 * Removes the rejected items from an InvokeModel body. Returns the new body and whether anything was removed (so a
 * retry is only made when it can change the outcome). Never mutates the input. Own properties only: the names come
 * from Bedrock's error text, and `toString` is "in" every object.
 */
export function withoutRejected(body: Record<string, unknown>, rejections: readonly Rejection[]): { body: Record<string, unknown>; changed: boolean } {
  let changed = false;
  const out: Record<string, unknown> = { ...body };
  for (const r of rejections) {
    if (r.kind === "beta") {
      const betas = out.anthropic_beta;
      if (Array.isArray(betas) && betas.includes(r.flag)) {
        const rest = betas.filter((b) => b !== r.flag);
        if (rest.length) out.anthropic_beta = rest;
        else delete out.anthropic_beta;
        changed = true;
      }
    } else if (r.kind === "field") {
      const [top, sub] = r.path.split(".") as [string, string | undefined];
      if (sub === undefined) {
        if (Object.hasOwn(out, top)) {
          delete out[top];
          changed = true;
        }
      } else {
        const parent = out[top];
        if (parent && typeof parent === "object" && !Array.isArray(parent) && Object.hasOwn(parent, sub)) {
          const copy = { ...(parent as Record<string, unknown>) };
          delete copy[sub];
          if (Object.keys(copy).length) out[top] = copy;
          else delete out[top];
          changed = true;
        }
      }
    } else if (Array.isArray(out.tools)) {
      let touched = false;
      const tools = (out.tools as unknown[]).map((t) => {
        if (!t || typeof t !== "object") return t;
        const tool = t as Record<string, unknown>;
        const nested = tool.custom && typeof tool.custom === "object" && Object.hasOwn(tool.custom, r.key);
        if (!Object.hasOwn(tool, r.key) && !nested) return t;
        touched = true;
        const copy = { ...tool };
        delete copy[r.key];
        if (nested) {
          // Claude Code has sent the key both at the top of the tool and inside `custom: {…}`.
          const inner = { ...(tool.custom as Record<string, unknown>) };
          delete inner[r.key];
          if (Object.keys(inner).length) copy.custom = inner;
          else delete copy.custom;
        }
        return copy;
      });
      if (touched) {
        out.tools = tools;
        changed = true;
      }
    }
  }
  return { body: out, changed };
}
