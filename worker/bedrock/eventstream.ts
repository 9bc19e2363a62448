// Incremental decoder for AWS event-stream framing (application/vnd.amazon.eventstream), the body format of
// InvokeModelWithResponseStream and ConverseStream. Layout and header encoding: BEDROCK_WIRE.md §3.1.
//
// Bytes arrive in arbitrary network-sized pieces, so the decoder is a small state machine: it collects the
// 12-byte prelude, learns the frame length, then fills exactly one frame buffer. Whole frames that sit inside
// a single pushed chunk are decoded in place (no copy). Work is linear in the input and memory is bounded by
// one frame, however long the stream runs.

import { toHex } from "../util/hex.ts";

export type EventStreamHeaderValue = string | number | boolean | bigint | Uint8Array | Date;

export interface EventStreamFrame {
  headers: Record<string, EventStreamHeaderValue>;
  payload: Uint8Array;
}

/** Any malformed, corrupted or truncated event stream. */
export class EventStreamError extends Error {
  override name = "EventStreamError";
}

const PRELUDE_LENGTH = 12; // total_length u32 + headers_length u32 + prelude_crc u32
const MIN_FRAME_LENGTH = 16; // prelude + message_crc, no headers, no payload
// Bedrock frames carry one model event each (a few KiB at most); anything this large is corruption or abuse.
const MAX_FRAME_LENGTH = 16 * 1024 * 1024;

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, as zlib). `seed` is a previous result, so a CRC can be computed over pieces:
 * crc32(b, crc32(a)) === crc32(a ++ b).
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

const utf8 = new TextDecoder("utf-8");

/**
 * base64 → bytes → UTF-8 text. `atob` alone yields one char per byte (Latin-1), which corrupts non-ASCII text
 * such as "☀️ — «Paris»" (BEDROCK_WIRE.md §3.4), so the bytes must go through a TextDecoder.
 */
export function decodeBase64Utf8(b64: string): string {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

export class EventStreamDecoder {
  // Prelude being collected when it straddles chunks.
  private readonly prelude = new Uint8Array(PRELUDE_LENGTH);
  private preludeFilled = 0;
  // The frame being assembled across chunks (null when between frames).
  private frame: Uint8Array | null = null;
  private frameFilled = 0;
  // After an error the byte position is meaningless; refuse further input rather than decode garbage.
  private failure: EventStreamError | null = null;

  /** Feed the next piece of the body; returns every frame completed by it, in order. */
  push(chunk: Uint8Array): EventStreamFrame[] {
    const frames: EventStreamFrame[] = [];
    this.feed(chunk, (frame) => frames.push(frame));
    return frames;
  }

  /**
   * Like push(), but hands each frame to `onFrame` as soon as it is complete. If the chunk also holds a
   * corrupt frame, the good frames before it have already been delivered when the error is thrown — which
   * lets a transcoder forward everything valid before reporting the corruption.
   */
  feed(chunk: Uint8Array, onFrame: (frame: EventStreamFrame) => void): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(chunk, onFrame);
    } catch (err) {
      // Either the bytes are bad or onFrame threw mid-chunk; both leave the byte position unusable.
      this.failure =
        err instanceof EventStreamError
          ? err
          : new EventStreamError(`event stream decoding stopped: frame handler threw (${String(err)})`);
      throw err;
    }
  }

  /** Call at end of body: leftover bytes mean the stream was cut mid-frame. */
  finish(): void {
    if (this.failure) throw this.failure;
    const pending = this.frame ? this.frameFilled : this.preludeFilled;
    if (pending > 0) {
      const expected = this.frame ? ` of a ${this.frame.length}-byte frame` : "";
      this.failure = new EventStreamError(
        `event stream truncated: ended with ${pending} byte(s)${expected} still pending`,
      );
      throw this.failure;
    }
  }

  private consume(chunk: Uint8Array, onFrame: (frame: EventStreamFrame) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frame) {
        // Continue filling the partial frame.
        const n = Math.min(this.frame.length - this.frameFilled, chunk.length - pos);
        this.frame.set(chunk.subarray(pos, pos + n), this.frameFilled);
        this.frameFilled += n;
        pos += n;
        if (this.frameFilled === this.frame.length) {
          const complete = this.frame;
          this.frame = null;
          this.frameFilled = 0;
          onFrame(decodeFrame(complete));
        }
      } else if (this.preludeFilled === 0 && chunk.length - pos >= PRELUDE_LENGTH) {
        // Fast path: the prelude is contiguous in this chunk.
        const total = readPrelude(chunk.subarray(pos, pos + PRELUDE_LENGTH));
        if (chunk.length - pos >= total) {
          const start = pos;
          pos += total;
          onFrame(decodeFrame(chunk.subarray(start, start + total)));
        } else {
          this.frame = new Uint8Array(total);
          this.frame.set(chunk.subarray(pos));
          this.frameFilled = chunk.length - pos;
          pos = chunk.length;
        }
      } else {
        // The prelude straddles chunks: collect it first.
        const n = Math.min(PRELUDE_LENGTH - this.preludeFilled, chunk.length - pos);
        this.prelude.set(chunk.subarray(pos, pos + n), this.preludeFilled);
        this.preludeFilled += n;
        pos += n;
        if (this.preludeFilled === PRELUDE_LENGTH) {
          const total = readPrelude(this.prelude);
          this.frame = new Uint8Array(total);
          this.frame.set(this.prelude);
          this.frameFilled = PRELUDE_LENGTH;
          this.preludeFilled = 0;
          // A header-less, payload-less 16-byte frame still needs its 4 CRC bytes, so never complete here.
        }
      }
    }
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Validates the 12-byte prelude and returns the frame's total length. */
function readPrelude(prelude: Uint8Array): number {
  const v = view(prelude);
  const total = v.getUint32(0);
  const headersLength = v.getUint32(4);
  const expectedCrc = v.getUint32(8);
  const actualCrc = crc32(prelude.subarray(0, 8));
  if (actualCrc !== expectedCrc) {
    throw new EventStreamError(
      `event stream prelude CRC mismatch: expected ${hex32(expectedCrc)}, computed ${hex32(actualCrc)}`,
    );
  }
  if (total < MIN_FRAME_LENGTH) {
    throw new EventStreamError(`event stream frame length ${total} is below the minimum of ${MIN_FRAME_LENGTH}`);
  }
  if (total > MAX_FRAME_LENGTH) {
    throw new EventStreamError(`event stream frame length ${total} exceeds the limit of ${MAX_FRAME_LENGTH}`);
  }
  if (headersLength > total - MIN_FRAME_LENGTH) {
    throw new EventStreamError(
      `event stream headers length ${headersLength} does not fit in a ${total}-byte frame`,
    );
  }
  return total;
}

/** Checks the message CRC of one complete frame and splits it into headers and payload. */
function decodeFrame(frame: Uint8Array): EventStreamFrame {
  const v = view(frame);
  const total = frame.length;
  const expectedCrc = v.getUint32(total - 4);
  // The message CRC runs over everything before it, prelude CRC included.
  const actualCrc = crc32(frame.subarray(0, total - 4));
  if (actualCrc !== expectedCrc) {
    throw new EventStreamError(
      `event stream message CRC mismatch: expected ${hex32(expectedCrc)}, computed ${hex32(actualCrc)}`,
    );
  }
  const headersLength = v.getUint32(4);
  const headersEnd = PRELUDE_LENGTH + headersLength;
  return {
    headers: parseHeaders(frame.subarray(PRELUDE_LENGTH, headersEnd)),
    payload: frame.subarray(headersEnd, total - 4),
  };
}

/** Header wire format: [name_len u8][name][type u8][value], types 0–9 (BEDROCK_WIRE.md §3.1). */
function parseHeaders(bytes: Uint8Array): Record<string, EventStreamHeaderValue> {
  // Null prototype: header names come off the wire, and "__proto__" must be an ordinary key.
  const headers: Record<string, EventStreamHeaderValue> = Object.create(null);
  const v = view(bytes);
  let pos = 0;
  const need = (n: number, what: string): void => {
    if (pos + n > bytes.length) {
      throw new EventStreamError(`event stream header ${what} runs past the end of the header block`);
    }
  };
  while (pos < bytes.length) {
    const nameLength = v.getUint8(pos++);
    if (nameLength === 0) throw new EventStreamError("event stream header has an empty name");
    need(nameLength, "name");
    const name = utf8.decode(bytes.subarray(pos, pos + nameLength));
    pos += nameLength;
    need(1, `"${name}" type`);
    const type = v.getUint8(pos++);
    let value: EventStreamHeaderValue;
    switch (type) {
      case 0:
        value = true;
        break;
      case 1:
        value = false;
        break;
      case 2:
        need(1, `"${name}" value`);
        value = v.getInt8(pos);
        pos += 1;
        break;
      case 3:
        need(2, `"${name}" value`);
        value = v.getInt16(pos);
        pos += 2;
        break;
      case 4:
        need(4, `"${name}" value`);
        value = v.getInt32(pos);
        pos += 4;
        break;
      case 5:
        need(8, `"${name}" value`);
        value = v.getBigInt64(pos);
        pos += 8;
        break;
      case 6:
      case 7: {
        need(2, `"${name}" length`);
        const length = v.getUint16(pos);
        pos += 2;
        need(length, `"${name}" value`);
        const raw = bytes.subarray(pos, pos + length);
        // Copy binary values so a header never pins the (possibly large) chunk it was decoded from.
        value = type === 6 ? raw.slice() : utf8.decode(raw);
        pos += length;
        break;
      }
      case 8:
        need(8, `"${name}" value`);
        value = new Date(Number(v.getBigInt64(pos)));
        pos += 8;
        break;
      case 9:
        need(16, `"${name}" value`);
        value = formatUuid(bytes.subarray(pos, pos + 16));
        pos += 16;
        break;
      default:
        throw new EventStreamError(`event stream header "${name}" has unknown type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}

function formatUuid(b: Uint8Array): string {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
