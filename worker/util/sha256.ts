// SHA-256 and HMAC-SHA-256 for the hot path, as the runtime entry chooses (services.ts `Platform.hashing`). Every
// request hashes a few short inputs (the API key, SigV4's canonical request, the string it signs with HMAC) and the
// body it sends to Bedrock. What a crypto.subtle call costs depends on the runtime: workerd computes it on the spot,
// while Deno (like Node) hands each call to a worker thread, ~35 µs of CPU per call, several times what hashing a few
// hundred bytes in JavaScript costs. So the Workers entry keeps crypto.subtle for everything (JavaScript hashing
// measured ~4 % more CPU per request there), and the Deno entry hashes short inputs in JavaScript with @noble/hashes
// (audited), ~25 % less CPU per request; long inputs (a Claude Code body of half a megabyte) stay native in both,
// where the per-byte speed matters more than the call. HMACs are only ever of short texts (SigV4's string to sign and
// its daily key), so the Deno entry computes every HMAC in JavaScript.
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";

type Bytes = Uint8Array<ArrayBuffer>;

export interface Hashing {
  sha256(bytes: Bytes): Promise<Uint8Array>;
  /** An HMAC-SHA-256 key prepared once, for signing many messages. */
  hmacKey(key: Uint8Array): (message: Bytes) => Promise<Uint8Array>;
}

/** crypto.subtle for every hash: the Workers entry's choice, and the default. */
export const NATIVE_HASHING: Hashing = {
  async sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  },
  hmacKey(raw) {
    let imported: Promise<CryptoKey> | null = null;
    const key = (): Promise<CryptoKey> => {
      if (!imported) {
        const p = crypto.subtle.importKey("raw", raw as Bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        // A failed import (it should not fail) is not remembered.
        p.catch(() => {
          if (imported === p) imported = null;
        });
        imported = p;
      }
      return imported;
    };
    return async (message) => new Uint8Array(await crypto.subtle.sign("HMAC", await key(), message));
  },
};

/**
 * Up to this many bytes, hashing in JavaScript costs Deno less CPU than a crypto.subtle call (measured: equal near
 * 6 KiB, where JavaScript hashes ~160 MB/s and the native call costs ~35 µs plus ~1 µs per KiB).
 */
export const SYNC_SHA256_MAX_BYTES = 4096;

/** Short inputs hashed in JavaScript, long ones by crypto.subtle: the Deno entry's choice. */
export const JS_SHORT_HASHING: Hashing = {
  async sha256(bytes) {
    return bytes.length <= SYNC_SHA256_MAX_BYTES ? sha256(bytes) : NATIVE_HASHING.sha256(bytes);
  },
  hmacKey(key) {
    // The inner and outer pads are hashed once; each message then costs its own blocks plus two.
    const base = hmac.create(sha256, key);
    return async (message) => base.clone().update(message).digest();
  },
};
