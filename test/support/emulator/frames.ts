// Event-stream frame builders (BEDROCK_WIRE §3.5), encoded with the same codec the AWS SDK decodes with.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const str = (value: string) => ({ type: "string" as const, value });

const PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Real Bedrock pads every event payload with `p`: a random-length prefix of this alphabet. Clients must ignore it. */
export function padding(): string {
  return PADDING_ALPHABET.slice(0, 1 + Math.floor(Math.random() * PADDING_ALPHABET.length));
}

/** InvokeModelWithResponseStream `chunk`: the Anthropic event travels base64-encoded in `bytes`. */
export function chunkFrame(event: unknown): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event), "utf8").toString("base64");
  return codec.encode({
    headers: { ":event-type": str("chunk"), ":content-type": str("application/json"), ":message-type": str("event") },
    body: fromUtf8(JSON.stringify({ bytes, p: padding() })),
  });
}

/** ConverseStream event: the payload is the union member's struct itself, plus `p`. */
export function converseFrame(eventType: string, member: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ":event-type": str(eventType), ":content-type": str("application/json"), ":message-type": str("event") },
    body: fromUtf8(JSON.stringify({ ...member, p: padding() })),
  });
}

/** Modelled in-stream exception; `type` is the lower-camel union member name, e.g. "throttlingException". */
export function exceptionFrame(type: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ":exception-type": str(type), ":content-type": str("application/json"), ":message-type": str("exception") },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** Raw `:message-type: error` frame; the SDK throws an Error named after `:error-code`. */
export function errorFrame(code: string, message: string): Uint8Array {
  return codec.encode({
    headers: { ":error-code": str(code), ":error-message": str(message), ":message-type": str("error") },
    body: new Uint8Array(0),
  });
}

/** A copy of `frame` whose trailing message CRC is wrong (prelude CRC still valid, so the length is trusted). */
export function corruptMessageCrc(frame: Uint8Array): Uint8Array {
  const copy = new Uint8Array(frame);
  const last = copy.length - 1;
  copy[last] = (copy[last] ?? 0) ^ 0xff;
  return copy;
}

/** Decodes a whole buffer of frames (checking both CRCs); used by tests that read raw responses. */
export function decodeFrames(buffer: Uint8Array): Array<{ headers: Record<string, string>; body: string }> {
  const out: Array<{ headers: Record<string, string>; body: string }> = [];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let offset = 0; offset < buffer.length; ) {
    if (buffer.length - offset < 16) throw new Error("truncated event stream");
    const total = view.getUint32(offset);
    const message = codec.decode(buffer.subarray(offset, offset + total));
    const headers: Record<string, string> = {};
    for (const [name, h] of Object.entries(message.headers)) headers[name] = String(h.value);
    out.push({ headers, body: toUtf8(message.body) });
    offset += total;
  }
  return out;
}
