// Virtual keys: how they are made and how they are stored (only their SHA-256). Web-standard APIs and plain
// JavaScript only, so this runs in Workers, Deno and Node alike.

import { toHex } from "../util/hex.ts";
import { NATIVE_HASHING, type Hashing } from "../util/sha256.ts";

const encoder = new TextEncoder();

/** Lower-case hex SHA-256 of the UTF-8 text. Keys are stored and looked up by this, never in clear. */
export async function sha256Hex(text: string, hashing: Hashing = NATIVE_HASHING): Promise<string> {
  return toHex(await hashing.sha256(encoder.encode(text)));
}

export const API_KEY_PREFIX = "sk-bw-";
const KEY_BODY_LENGTH = 40;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// 248 = 4 × 62: bytes below it map onto the alphabet evenly; bytes 248–255 are drawn again (rejection sampling),
// because `byte % 62` over all 256 values would favour the first 8 characters.
const UNBIASED_LIMIT = 256 - (256 % BASE62.length);

/** A new key: `sk-bw-` + 40 uniformly random base62 characters (≈238 bits). */
export function generateApiKey(): string {
  let body = "";
  const bytes = new Uint8Array(64);
  while (body.length < KEY_BODY_LENGTH) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte >= UNBIASED_LIMIT) continue;
      body += BASE62[byte % BASE62.length];
      if (body.length === KEY_BODY_LENGTH) break;
    }
  }
  return API_KEY_PREFIX + body;
}

/** The displayable start of a key (`sk-bw-` + 4 characters): enough to tell keys apart, useless to an attacker. */
export function keyPrefix(key: string): string {
  return key.slice(0, 10);
}

/**
 * Constant-time string comparison for secrets of a known length (hashes, HMACs, fixed-format tokens). It always
 * walks every byte of `a` and never stops at the first difference, so timing reveals at most the lengths, which
 * are public for such values. Inputs of different length compare false.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  // With unequal lengths, compare `x` against itself so the loop does the same work and reads no out-of-range
  // bytes; the length difference alone already forces the result to false.
  const other = x.length === y.length ? y : x;
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ other[i]!;
  return diff === 0;
}
