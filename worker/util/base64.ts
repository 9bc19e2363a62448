/** UTF-8 text → base64, without Buffer (Workers and Deno have only atob/btoa, which work on Latin-1 strings). */
export function encodeBase64Utf8(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** Bytes → base64 in chunks: String.fromCharCode with too many arguments overflows the stack. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** The first `n` bytes of a base64 string (enough to sniff a file type), or null when it is not base64. */
export function base64Head(b64: string, n: number): Uint8Array | null {
  const chars = Math.ceil(n / 3) * 4;
  try {
    const bin = atob(b64.slice(0, chars));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** How many bytes a base64 string decodes to (without decoding it). */
export function base64Bytes(b64: string): number {
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}
