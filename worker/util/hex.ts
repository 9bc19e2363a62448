// Lower-case hex of bytes. Every request hexes four short digests (the key hash, SigV4's body and canonical-request
// hashes, its signature); building the text with one concatenation per byte leaves a chain of 32 partial strings
// per digest for the collector, so the digits are written into a reused buffer and decoded in one call instead.
const DIGITS = new TextEncoder().encode("0123456789abcdef");
const ASCII = new TextDecoder();
/** Room for a 64-byte input's digits; longer inputs get a buffer of their own. */
const SCRATCH = new Uint8Array(128);

export function toHex(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = 2 * n <= SCRATCH.length ? SCRATCH.subarray(0, 2 * n) : new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    out[2 * i] = DIGITS[b >> 4]!;
    out[2 * i + 1] = DIGITS[b & 15]!;
  }
  return ASCII.decode(out);
}
