import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/keys/hash.ts";
import { toHex } from "../../worker/util/hex.ts";

describe("toHex", () => {
  it("writes every byte value as two lower-case digits", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString("hex"));
    expect(toHex(new Uint8Array([0, 10, 255]))).toBe("000aff");
    expect(toHex(new Uint8Array(0))).toBe("");
  });

  it("agrees with Node on random bytes, and sha256Hex with Node's SHA-256", async () => {
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(1 + i * 7);
      expect(toHex(b)).toBe(b.toString("hex"));
    }
    const text = "sk-bw-ünïcødé-key";
    expect(await sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
  });
});
