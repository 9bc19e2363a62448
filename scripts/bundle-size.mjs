// Prints the size of the Worker bundle wrangler built, raw and gzipped (the figure Cloudflare's limits apply to).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
const dir = process.argv[2] ?? "dist";
let raw = 0, gz = 0;
for (const f of readdirSync(dir)) {
  if (!/\.(m?js|wasm)$/.test(f)) continue;
  const bytes = readFileSync(join(dir, f));
  raw += statSync(join(dir, f)).size;
  gz += gzipSync(bytes, { level: 9 }).length;
}
console.log(`bundle: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped`);
