// The hot path's two ways of hashing (worker/util/sha256.ts) against Web Crypto called directly, for random inputs on
// both sides of the length where the JavaScript one hands over to the platform's native code.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { JS_SHORT_HASHING, NATIVE_HASHING, SYNC_SHA256_MAX_BYTES } from "../../worker/util/sha256.ts";

const webDigest = async (bytes: Uint8Array<ArrayBuffer>) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const webHmac = async (key: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>) => {
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
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each([
  ["crypto.subtle (Workers)", NATIVE_HASHING],
  ["JavaScript for short inputs (Deno)", JS_SHORT_HASHING],
])("hashing: %s", (_name, hashing) => {
  it("SHA-256 equals Web Crypto's digest for any input, either side of the switch", async () => {
    await fc.assert(
      fc.asyncProperty(lengths.chain(bytesOf), async (bytes) => {
        expect(await hashing.sha256(bytes)).toEqual(await webDigest(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("hashes the FIPS 180-2 examples", async () => {
    expect(hex(await hashing.sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(await hashing.sha256(utf8("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(await hashing.sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("a prepared HMAC key equals Web Crypto's HMAC for every message it signs", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Web Crypto refuses an empty key (SigV4 never has one); keys past the 64-byte block are hashed first.
        fc.integer({ min: 1, max: 100 }).chain(bytesOf),
        fc.array(fc.integer({ min: 0, max: 300 }).chain(bytesOf), { minLength: 1, maxLength: 4 }),
        async (key, messages) => {
          const sign = hashing.hmacKey(key);
          // Signing one message must leave the prepared key as it was for the next.
          for (const m of messages) expect(await sign(m)).toEqual(await webHmac(key, m));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("which hashes reach crypto.subtle", () => {
  /** crypto.subtle calls (digest, importKey, sign) made while `f` runs. */
  async function subtleCalls(f: () => Promise<unknown>): Promise<number> {
    const spies = [vi.spyOn(crypto.subtle, "digest"), vi.spyOn(crypto.subtle, "importKey"), vi.spyOn(crypto.subtle, "sign")];
    try {
      await f();
      return spies.reduce((n, spy) => n + spy.mock.calls.length, 0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }
  const short = new Uint8Array(SYNC_SHA256_MAX_BYTES);
  const long = new Uint8Array(SYNC_SHA256_MAX_BYTES + 1);

  it("the Deno entry's way hashes short inputs and HMACs in JavaScript, and only a long input natively", async () => {
    expect(await subtleCalls(() => JS_SHORT_HASHING.sha256(short))).toBe(0);
    expect(await subtleCalls(() => JS_SHORT_HASHING.hmacKey(utf8("key"))(short))).toBe(0);
    expect(await subtleCalls(() => JS_SHORT_HASHING.sha256(long))).toBe(1);
  });

  it("a prepared HMAC key whose import failed is imported again for the next message (the failure is not remembered)", async () => {
    const expected = await webHmac(utf8("key"), short);
    const importKey = vi.spyOn(crypto.subtle, "importKey").mockRejectedValueOnce(new Error("import failed"));
    const sign = NATIVE_HASHING.hmacKey(utf8("key"));
    try {
      await expect(sign(short)).rejects.toThrow("import failed");
      expect(await sign(short)).toEqual(expected);
      expect(importKey).toHaveBeenCalledTimes(2);
    } finally {
      importKey.mockRestore();
    }
    // Imported once the second time, and kept: the next message is one sign call.
    expect(await subtleCalls(() => sign(short))).toBe(1);
  });

  it("the Workers entry's way uses crypto.subtle for every hash, and imports a prepared HMAC key once", async () => {
    expect(await subtleCalls(() => NATIVE_HASHING.sha256(short))).toBe(1);
    const sign = NATIVE_HASHING.hmacKey(utf8("key"));
    expect(await subtleCalls(async () => {
      for (let i = 0; i < 3; i++) await sign(short);
    })).toBe(4);
  });
});
