// `npm run build:sidecar`: the video sidecar as the instance runs it. One ESM file (origin/sidecar/main.ts and all it
// imports, dependencies included: the instance installs nothing from npm) with a package.json that marks it as ESM,
// packed as dist/sidecar.tar.gz, which `npm run deploy` uploads and the bootstrap unpacks into /opt/breakwater-sidecar
// (systemd runs `node server.js` there).
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../lib/db.ts";

export const SIDECAR_BUILD_DIR = join(REPO_ROOT, "dist", "sidecar");
export const SIDECAR_TARBALL = join(REPO_ROOT, "dist", "sidecar.tar.gz");

export async function buildSidecar(dir = SIDECAR_BUILD_DIR, tarball = SIDECAR_TARBALL): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(REPO_ROOT, "origin", "sidecar", "main.ts")],
    outfile: join(dir, "server.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20", // runs on the instance's nodejs22 and on the Node that builds and tests it
    minify: false, // readable stack traces in the instance's journal
    sourcemap: false,
    legalComments: "none",
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: 'import { createRequire as __bwCreateRequire } from "node:module"; const require = __bwCreateRequire(import.meta.url);' },
    logLevel: "warning",
  });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "breakwater-sidecar", private: true, type: "module" }, null, 2)}\n`);
  // A reproducible archive: fixed owner, mode and time, sorted names (GNU tar).
  const tar = spawnSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=2026-01-01 00:00Z", "-czf", tarball, "-C", dir, "."], { encoding: "utf8" });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.trim()}`);
  return tarball;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildSidecar().then(
    (file) => console.log(`built ${file}`),
    (e: unknown) => {
      console.error(`build:sidecar: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
