// Lower-case hex of bytes through a 256-entry table: one lookup and one concatenation per byte, where
// `toString(16).padStart(2, "0")` makes two strings per byte (the key hash is hexed on every request).
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}
