// Writes event-stream frames to the socket: one write() per frame (or random pieces with splitFrames), honouring
// back-pressure so long streams keep the emulator's memory flat, and injecting the scripted in-stream faults.
import type { ServerResponse } from "node:http";
import { corruptMessageCrc, errorFrame, exceptionFrame } from "./frames.ts";
import type { StreamTiming } from "./claude.ts";
import type { Scenario } from "./types.ts";

export type StreamFault =
  | { kind: "exception"; afterEvents: number; frame: Uint8Array }
  | { kind: "error"; afterEvents: number; frame: Uint8Array }
  | { kind: "corrupt"; afterEvents: number };

export function faultFromScenario(s: Scenario | undefined): StreamFault | null {
  if (s?.streamException) {
    const { type, message, afterEvents, originalStatusCode, originalMessage } = s.streamException;
    const payload: Record<string, unknown> = { message };
    if (originalStatusCode !== undefined) payload.originalStatusCode = originalStatusCode;
    if (originalMessage !== undefined) payload.originalMessage = originalMessage;
    return { kind: "exception", afterEvents, frame: exceptionFrame(type, payload) };
  }
  if (s?.streamErrorFrame) {
    const { code, message, afterEvents } = s.streamErrorFrame;
    return { kind: "error", afterEvents, frame: errorFrame(code, message) };
  }
  if (s?.corruptCrcAfterEvents !== undefined) return { kind: "corrupt", afterEvents: s.corruptCrcAfterEvents };
  return null;
}

/** Unref'd, so a long scripted stall never keeps a process alive after the emulator has stopped. */
export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((r) => setTimeout(r, ms).unref()) : Promise.resolve();

export interface StreamOptions {
  delayMs: number;
  splitFrames: boolean;
  fault: StreamFault | null;
  timing: StreamTiming;
}

/** Resolves false once the client has gone away, so the caller stops producing. */
function writeChunk(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

async function writeFrame(res: ServerResponse, frame: Uint8Array, split: boolean): Promise<boolean> {
  if (!split) return writeChunk(res, frame);
  let offset = 0;
  while (offset < frame.length) {
    const size = 1 + Math.floor(Math.random() * Math.min(frame.length - offset, 23));
    if (!(await writeChunk(res, frame.subarray(offset, offset + size)))) return false;
    offset += size;
    // Yield so the pieces tend to leave as separate TCP writes rather than being coalesced.
    await new Promise((r) => setImmediate(r));
  }
  return true;
}

export async function writeEventStream(res: ServerResponse, frames: Array<() => Uint8Array>, opts: StreamOptions): Promise<void> {
  const { fault } = opts;
  const limit = fault ? Math.min(fault.afterEvents, fault.kind === "corrupt" ? frames.length - 1 : frames.length) : frames.length;
  for (let i = 0; i < limit; i++) {
    if (i > 0) await sleep(opts.delayMs);
    const frame = frames[i];
    if (!frame) break;
    const bytes = frame();
    opts.timing.firstByteAt ??= Date.now();
    if (!(await writeFrame(res, bytes, opts.splitFrames))) return;
  }
  if (fault) {
    if (limit > 0) await sleep(opts.delayMs);
    const next = frames[limit];
    const bytes = fault.kind === "corrupt" ? (next ? corruptMessageCrc(next()) : new Uint8Array(0)) : fault.frame;
    if (!(await writeFrame(res, bytes, opts.splitFrames))) return;
  }
  if (!res.destroyed) res.end();
}
