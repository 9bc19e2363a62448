// Size of the Worker bundle as Cloudflare counts it: built with the same esbuild options as the test harness
// (test/support/worker-harness.ts bundleWorker), plus minification as wrangler applies with `--minify`, then gzipped.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../test/support/worker-harness.ts";

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
  /** Minified bytes per package (node_modules) or per worker/ area, largest first: what each feature costs. */
  areas?: { name: string; bytes: number }[];
}

/** worker/protocols/converse/x.ts → "worker/protocols/converse"; node_modules/@scope/pkg/… → "@scope/pkg". */
export function areaOf(input: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input); // the innermost node_modules names the package
  if (pkg) return pkg[1]!;
  const parts = input.replace(/^(\.\.\/)+/, "").split("/");
  return parts.length > 2 ? parts.slice(0, 2).join("/") : parts.join("/");
}

export async function measureBundle(minify = true): Promise<BundleSize> {
  const result = await build({ ...WORKER_BUILD_OPTIONS, write: false, minify, metafile: true });
  const byArea = new Map<string, number>();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) byArea.set(areaOf(input), (byArea.get(areaOf(input)) ?? 0) + bytesInOutput);
  }
  const areas = [...byArea].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of result.outputFiles) {
    rawBytes += file.contents.byteLength;
    // Level 9 matches scripts/bundle-size.mjs; Cloudflare's own figure differs from it by a few hundred bytes.
    gzipBytes += gzipSync(file.contents, { level: 9 }).byteLength;
  }
  return { rawBytes, gzipBytes, areas };
}
