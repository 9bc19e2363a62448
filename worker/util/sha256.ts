// SHA-256 and HMAC-SHA-256 for the hot path. Every request hashes a few short strings (the API key, SigV4's
// canonical request and string to sign) and the body it sends to Bedrock. crypto.subtle answers each call through a
// promise and, in Deno and Node, a hop to a worker thread: ~35 µs of CPU per call there, several times what hashing a
// few hundred bytes costs. Short inputs are hashed in JavaScript (@noble/hashes, audited), synchronously; long ones
// (a Claude Code body of half a megabyte) by the platform's native code, which is ~6× faster per byte and whose
// fixed cost is small next to them.
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";

/**
 * Up to this many bytes, hashing in JavaScript costs less CPU than a crypto.subtle call (measured under Deno: equal
 * near 6 KiB; workerd's native call is cheaper, so the line is drawn below that).
 */
export const SYNC_SHA256_MAX_BYTES = 4096;

type Bytes = Uint8Array<ArrayBuffer>;

/** SHA-256 of short bytes, synchronously. Any length works; above SYNC_SHA256_MAX_BYTES `sha256Of` is cheaper. */
export function sha256Sync(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/** SHA-256 of bytes of any length, by whichever costs less for that length. */
export async function sha256Of(bytes: Bytes): Promise<Uint8Array> {
  if (bytes.length <= SYNC_SHA256_MAX_BYTES) return sha256(bytes);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** HMAC-SHA-256 of `message` under `key`. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha256, key, message);
}

/**
 * An HMAC-SHA-256 key prepared once (its inner and outer pads hashed): each `sign` then costs the message's blocks
 * plus two, where a fresh HMAC costs two more.
 */
export class HmacSha256Key {
  private readonly base: ReturnType<typeof hmac.create>;

  constructor(key: Uint8Array) {
    this.base = hmac.create(sha256, key);
  }

  sign(message: Uint8Array): Uint8Array {
    return this.base.clone().update(message).digest();
  }
}
