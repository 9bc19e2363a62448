// OpenAI's `encoding_format: "base64"`: the vector as consecutive little-endian IEEE-754 float32 values, base64
// encoded (what the OpenAI SDKs decode with `Float32Array` / `np.frombuffer(..., dtype="float32")`). Written with
// DataView + btoa so it runs in Workers and Deno alike (no Buffer).

/** Characters per String.fromCharCode call: small enough to stay far below engines' argument-count limits. */
const CHUNK = 0x8000;

export function float32Base64(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  // DataView rather than Float32Array: the latter uses the platform's byte order, the wire format is little-endian.
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}
