import { describe, expect, it } from "vitest";
import { API_KEY_PREFIX, generateApiKey, keyPrefix, sha256Hex, timingSafeEqual } from "../../worker/keys/hash.ts";

describe("sha256Hex", () => {
  it("matches the standard test vectors", async () => {
    // FIPS 180-2 / NIST examples.
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("hashes the UTF-8 bytes of the text", async () => {
    // "é" is two bytes in UTF-8 (c3 a9); the digest of those bytes (as `printf é | sha256sum` gives):
    expect(await sha256Hex("é")).toBe("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c");
  });
});

describe("generateApiKey", () => {
  it("is sk-bw- followed by 40 base62 characters", () => {
    for (let i = 0; i < 200; i++) expect(generateApiKey()).toMatch(/^sk-bw-[0-9A-Za-z]{40}$/);
    expect(API_KEY_PREFIX).toBe("sk-bw-");
  });

  it("never repeats", () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey()));
    expect(keys.size).toBe(2000);
  });

  it("uses the whole alphabet, evenly", () => {
    // 2000 keys × 40 chars = 80 000 draws: ≈1290 per character, standard deviation ≈36. The bounds sit 7 standard
    // deviations out, so they do not flake; a biased `byte % 62` (5/256 for the first 8 characters, 4/256 for the
    // rest) would put those 8 around 1560 and the others around 1250, and fail them.
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      for (const ch of generateApiKey().slice(API_KEY_PREFIX.length)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(1040);
      expect(n).toBeLessThan(1540);
    }
  });
});

describe("keyPrefix", () => {
  it("keeps the first 10 characters for display", () => {
    expect(keyPrefix("sk-bw-AbCdEfGhIj")).toBe("sk-bw-AbCd");
    expect(keyPrefix(generateApiKey())).toMatch(/^sk-bw-[0-9A-Za-z]{4}$/);
  });
});

describe("timingSafeEqual", () => {
  it("is true only for identical strings", () => {
    const h = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    expect(timingSafeEqual(h, h)).toBe(true);
    expect(timingSafeEqual(h, `${h.slice(0, -1)}e`)).toBe(false); // last byte differs
    expect(timingSafeEqual(h, `0${h.slice(1)}`)).toBe(false); // first byte differs
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("é", "e\u0301")).toBe(false); // compares bytes, no Unicode normalisation
  });

  it("is false for different lengths, whichever side is longer", () => {
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("abcd", "abc")).toBe(false);
    expect(timingSafeEqual("", "a")).toBe(false);
    expect(timingSafeEqual("a", "")).toBe(false);
    // A prefix must not pass because the shorter one ran out of bytes.
    expect(timingSafeEqual("abc", "abc\u0000")).toBe(false);
  });
});
