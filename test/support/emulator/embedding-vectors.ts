// Deterministic stand-in embeddings, so tests can predict every number the emulator returns.
//
// Component i of a text's raw vector comes from sha256(text + "\0" + floor(i / 16)): 16 big-endian uint16 values per
// hash, mapped linearly onto [-1, 1]. Component i therefore depends only on the text and i, so a shorter vector is a
// prefix of a longer one before normalisation (like the Matryoshka-trained models). Normalised vectors have unit L2
// length. Every component is rounded to float32 (Math.fround), so a float32/base64 round trip reproduces it exactly.
import { createHash } from "node:crypto";

const PER_HASH = 16;

export function embeddingFor(text: string, dimensions: number, normalize = true): number[] {
  const raw: number[] = [];
  for (let block = 0; raw.length < dimensions; block++) {
    const digest = createHash("sha256").update(`${text}\u0000${block}`).digest();
    for (let j = 0; j < PER_HASH && raw.length < dimensions; j++) raw.push(digest.readUInt16BE(j * 2) / 32767.5 - 1);
  }
  if (!normalize) return raw.map(Math.fround);
  const norm = Math.sqrt(raw.reduce((n, v) => n + v * v, 0)) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** Cohere's int8: each component scaled so the largest magnitude maps to 127. */
export function toInt8(vector: readonly number[]): number[] {
  const max = vector.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  return vector.map((v) => Math.max(-128, Math.min(127, Math.round((v / max) * 127))));
}

export const toUint8 = (vector: readonly number[]): number[] => toInt8(vector).map((v) => v + 128);

/** Cohere's ubinary: one bit per component (1 when positive), packed 8 to a byte, most significant bit first. */
export function toUbinary(vector: readonly number[]): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < vector.length; i += 8) {
    let byte = 0;
    for (let bit = 0; bit < 8; bit++) byte = (byte << 1) | ((vector[i + bit] ?? 0) > 0 ? 1 : 0);
    bytes.push(byte);
  }
  return bytes;
}

/** Cohere's binary: the ubinary bytes shifted into int8 range. */
export const toBinary = (vector: readonly number[]): number[] => toUbinary(vector).map((b) => b - 128);

/** Titan's binary: one 0/1 per component (not packed). */
export const toTitanBinary = (vector: readonly number[]): number[] => vector.map((v) => (v > 0 ? 1 : 0));
