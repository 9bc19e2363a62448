// Size of the Worker bundle as Cloudflare counts it: built with the same esbuild options as the test harness
// (test/support/worker-harness.ts bundleWorker), plus minification as wrangler applies with `--minify`, then gzipped.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../test/support/worker-harness.ts";

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
}

export async function measureBundle(minify = true): Promise<BundleSize> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, write: false, minify });
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of result.outputFiles) {
    rawBytes += file.contents.byteLength;
    // Level 9 matches scripts/bundle-size.mjs; Cloudflare's own figure differs from it by a few hundred bytes.
    gzipBytes += gzipSync(file.contents, { level: 9 }).byteLength;
  }
  return { rawBytes, gzipBytes };
}
