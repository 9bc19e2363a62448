// What a chat request will be billed for, read from its parsed body without serialising it: the characters of
// text the model tokenises (text, tool inputs, tool schemas; never the base64 of images nor the JSON punctuation
// around blocks), the images, and the cacheable prefixes the caller marked with `cache_control`. Pure and cheap:
// one walk over the blocks, no hashing of whole texts.

import { isRecord as isObj } from "../util/is-record.ts";

export type CacheTtl = "5m" | "1h";

/** A prompt prefix ending at a cache breakpoint, identified by a fingerprint of everything up to it. */
export interface PrefixMark {
  fp: string;
  /** Characters of text up to and including the block that carries the breakpoint. */
  chars: number;
  /** Images up to and including that block. */
  images: number;
  ttl: CacheTtl;
}

export interface RequestShape {
  chars: number;
  images: number;
  prefixes: PrefixMark[];
  hasTools: boolean;
}

export type Dialect = "anthropic" | "openai";

/**
 * Walks the prompt in the order the model reads it (tools, system, messages). For OpenAI bodies, system and
 * developer messages are read where they stand; they come first in practice.
 */
export function shapeOf(body: Record<string, unknown>, dialect: Dialect): RequestShape {
  const w = new Walker();
  const tools = body.tools;
  if (Array.isArray(tools)) for (const t of tools) if (isObj(t)) w.segment(JSON.stringify(dialect === "openai" && isObj(t.function) ? t.function : stripCache(t)), 0, t.cache_control);
  if (dialect === "anthropic") {
    const system = body.system;
    if (typeof system === "string") w.segment(system, 0, undefined);
    else if (Array.isArray(system)) for (const b of system) w.block(b);
  }
  const messages = body.messages;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (!isObj(m)) continue;
      if (dialect === "openai") w.openAIMessage(m);
      else if (typeof m.content === "string") w.segment(m.content, 0, undefined);
      else if (Array.isArray(m.content)) for (const b of m.content) w.block(b);
    }
  }
  return { chars: w.chars, images: w.images, prefixes: w.prefixes, hasTools: Array.isArray(tools) && tools.length > 0 };
}

class Walker {
  chars = 0;
  images = 0;
  prefixes: PrefixMark[] = [];
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  /** One unit of prompt: its text counts, its fingerprint folds into the running prefix hash. */
  segment(text: string, images: number, cacheControl: unknown): void {
    this.chars += text.length;
    this.images += images;
    this.fold(text);
    const ttl = breakpoint(cacheControl);
    if (ttl) this.prefixes.push({ fp: `${hex(this.h1)}${hex(this.h2)}${this.chars.toString(36)}`, chars: this.chars, images: this.images, ttl });
  }

  block(b: unknown): void {
    if (!isObj(b)) return;
    const [text, images] = blockContent(b);
    this.segment(text, images, b.cache_control);
  }

  openAIMessage(m: Record<string, unknown>): void {
    const content = m.content;
    let marked = false;
    if (typeof content === "string") {
      this.segment(content, 0, m.cache_control);
      marked = true;
    } else if (Array.isArray(content)) {
      content.forEach((p, i) => {
        if (!isObj(p)) return;
        const last = i === content.length - 1;
        const text = typeof p.text === "string" ? p.text : "";
        const images = p.type === "image_url" ? 1 : 0;
        this.segment(text, images, p.cache_control ?? (last ? m.cache_control : undefined));
      });
      marked = content.length > 0;
    }
    const calls = m.tool_calls;
    if (Array.isArray(calls)) {
      for (const call of calls) {
        const fn = isObj(call) && isObj(call.function) ? call.function : null;
        if (fn) this.segment(`${str(fn.name)}${str(fn.arguments)}`, 0, undefined);
      }
    }
    if (!marked && m.cache_control) this.segment("", 0, m.cache_control);
  }

  /**
   * A fingerprint of the text, not a digest of it: its length and 48 characters sampled across it. Enough to tell
   * one conversation's prefix from another's; a collision only makes one estimate wrong, never a bill.
   */
  private fold(text: string): void {
    const n = text.length;
    let a = Math.imul(this.h1 ^ n, 0x01000193);
    let b = Math.imul(this.h2 ^ n, 0x5bd1e995);
    const step = n > 48 ? n / 48 : 1;
    for (let i = 0; i < n && i < 48 * step; i += step) {
      const c = text.charCodeAt(i | 0);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    if (n) {
      const c = text.charCodeAt(n - 1);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.h1 = a >>> 0;
    this.h2 = b >>> 0;
  }
}

/** The tokenised text of one content block and the images in it (tool results nest blocks). */
function blockContent(b: Record<string, unknown>): [string, number] {
  switch (b.type) {
    case "text":
      return [str(b.text), 0];
    case "thinking":
      return [str(b.thinking), 0];
    case "tool_use":
    case "server_tool_use":
      return [str(b.name) + JSON.stringify(b.input ?? {}), 0];
    case "image":
      return ["", 1];
    case "document": {
      // A text document is its text; a PDF is billed per page (text plus a page image), which its size only hints at.
      const source = isObj(b.source) ? b.source : {};
      if (source.type === "text") return [str(source.data), 0];
      return ["", Math.max(1, Math.ceil(str(source.data).length / PDF_BASE64_CHARS_PER_PAGE))];
    }
    case "tool_result": {
      const content = b.content;
      if (typeof content === "string") return [content, 0];
      if (!Array.isArray(content)) return ["", 0];
      let text = "";
      let images = 0;
      for (const inner of content) {
        if (!isObj(inner)) continue;
        const [t, i] = blockContent(inner);
        text += t;
        images += i;
      }
      return [text, images];
    }
    default:
      return ["", 0];
  }
}

/** About 100 KB of PDF per page. */
const PDF_BASE64_CHARS_PER_PAGE = 136_000;

function breakpoint(cc: unknown): CacheTtl | null {
  if (!isObj(cc)) return null;
  return cc.ttl === "1h" ? "1h" : "5m";
}

function stripCache(t: Record<string, unknown>): Record<string, unknown> {
  if (!("cache_control" in t)) return t;
  const { cache_control: _drop, ...rest } = t;
  return rest;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const hex = (n: number): string => n.toString(16).padStart(8, "0");
