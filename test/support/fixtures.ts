// Fixture access for unit tests. The files are copies (original names kept) of
// ../shared/reference/bedrock-fixtures and trimmed copies of .../claude-code-requests, so the repository
// is self-contained. A missing file is a broken checkout, never a reason to skip: fail loudly.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = new URL("../fixtures/", import.meta.url);

function fixturePath(relative: string): string {
  const path = fileURLToPath(new URL(relative, FIXTURES));
  if (!existsSync(path)) {
    throw new Error(
      `test fixture missing: ${path}\n` +
        "Bedrock fixtures are copied from ../shared/reference/bedrock-fixtures into test/fixtures/bedrock/.",
    );
  }
  return path;
}

/** Raw bytes of test/fixtures/bedrock/<name> (a fresh copy each call, safe to mutate). */
export function bedrockFixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(`bedrock/${name}`)));
}

export function bedrockFixtureJson<T = any>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(`bedrock/${name}`), "utf8")) as T;
}

export interface CapturedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A (trimmed) request Claude Code sent, from test/fixtures/claude-code/<name>. */
export function claudeCodeRequest(name: string): CapturedRequest {
  return JSON.parse(readFileSync(fixturePath(`claude-code/${name}`), "utf8")) as CapturedRequest;
}

/** Deterministic PRNG (mulberry32) so "random" splits are reproducible from the seed in a failure message. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, within range). */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Random split of `bytes` into pieces of 1..maxPiece bytes. */
export function randomSplit(bytes: Uint8Array, random: () => number, maxPiece = 64): Uint8Array[] {
  const offsets: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    pos += 1 + Math.floor(random() * maxPiece);
    offsets.push(pos);
  }
  return splitAt(bytes, offsets);
}

/** Parses Anthropic SSE text into {event, data} pairs; asserts the framing is exactly `event:`/`data:`/blank. */
export function parseSSE(text: string): { event: string; data: any }[] {
  const events: { event: string; data: any }[] = [];
  if (text === "") return events;
  if (!text.endsWith("\n\n")) throw new Error(`SSE text does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  for (const block of text.slice(0, -2).split("\n\n")) {
    const lines = block.split("\n");
    if (lines.length !== 2 || !lines[0]!.startsWith("event: ") || !lines[1]!.startsWith("data: ")) {
      throw new Error(`malformed SSE block: ${JSON.stringify(block)}`);
    }
    events.push({ event: lines[0]!.slice(7), data: JSON.parse(lines[1]!.slice(6)) });
  }
  return events;
}

/** OpenAI SSE text → its data payloads, asserting the framing is exactly `data: <payload>` + blank line. */
export function openAIDataLines(text: string): string[] {
  if (text === "") return [];
  if (!text.endsWith("\n\n")) throw new Error(`SSE does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((block) => {
      if (!block.startsWith("data: ") || block.includes("\n")) throw new Error(`malformed SSE block: ${JSON.stringify(block)}`);
      return block.slice(6);
    });
}

/** OpenAI SSE text → its chunks, parsed; the closing `[DONE]` stays a string. */
export function parseOpenAISSE(text: string): any[] {
  return openAIDataLines(text).map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

/** A byte source that hands out `pieces` one read at a time and records whether it was cancelled. */
export function byteSource(pieces: Uint8Array[]) {
  const state = { cancelled: false, index: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const piece = pieces[state.index++];
        if (piece === undefined) controller.close();
        else controller.enqueue(piece);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}
