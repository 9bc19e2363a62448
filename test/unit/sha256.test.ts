// The hot path's hashes (worker/util/sha256.ts) against Web Crypto's, for random inputs on both sides of the length
// where they switch from JavaScript to the platform's native code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HmacSha256Key, hmacSha256, SYNC_SHA256_MAX_BYTES, sha256Of, sha256Sync } from "../../worker/util/sha256.ts";

const native = async (bytes: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const nativeHmac = async (key: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>) => {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, message));
};
// Lengths that matter to SHA-256's padding (around 55/56/64 bytes) and around the switch.
const lengths = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: SYNC_SHA256_MAX_BYTES - 70, max: SYNC_SHA256_MAX_BYTES + 70 }),
  fc.integer({ min: 0, max: 3 * SYNC_SHA256_MAX_BYTES }),
);
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>;

describe("SHA-256 on the hot path", () => {
  it("sha256Of and sha256Sync equal Web Crypto's digest for any input, either side of the switch", async () => {
    await fc.assert(
      fc.asyncProperty(lengths.chain(bytesOf), async (bytes) => {
        const expected = await native(bytes);
        expect(await sha256Of(bytes)).toEqual(expected);
        expect(sha256Sync(bytes)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("hashes the known answers (FIPS 180-2 examples)", async () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(hex(await sha256Of(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(await sha256Of(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // Past the switch: the same answer from the native path.
    expect(hex(await sha256Of(utf8("a".repeat(SYNC_SHA256_MAX_BYTES + 1))))).toBe(hex(sha256Sync(utf8("a".repeat(SYNC_SHA256_MAX_BYTES + 1)))));
  });

  it("HMAC equals Web Crypto's, and a prepared key signs any number of messages, each independently", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Web Crypto refuses an empty key (SigV4 never has one); keys past the 64-byte block are hashed first.
        fc.integer({ min: 1, max: 100 }).chain(bytesOf),
        fc.array(fc.integer({ min: 0, max: 300 }).chain(bytesOf), { minLength: 1, maxLength: 4 }),
        async (key, messages) => {
          const prepared = new HmacSha256Key(key);
          for (const m of messages) {
            const expected = await nativeHmac(key, m);
            expect(hmacSha256(key, m)).toEqual(expected);
            expect(prepared.sign(m)).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
