#!/usr/bin/env node
// The `breakwater` command (package.json "bin"): runs the admin CLI in cli/, which is TypeScript. tsx compiles it in
// this process (resolved next to this file, not from the caller's directory, so it works from anywhere and through
// the node_modules/.bin symlink). Without tsx, a Node that strips types itself (22.18+, 23.6+) runs it as it is; it
// will not do that inside node_modules, so an installed copy needs tsx installed with it.
import { fileURLToPath } from "node:url";

const entry = new URL("../cli/main.ts", import.meta.url);

async function loadCli() {
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  }
  if (tsx) return tsx.tsImport(entry.href, { parentURL: import.meta.url, tsconfig: false });
  const path = fileURLToPath(entry);
  if (process.features?.typescript && !path.split(/[\\/]/).includes("node_modules")) return import(entry.href);
  process.stderr.write(
    `breakwater: cannot run ${path}: the "tsx" package cannot be found from there. ` +
      "In a clone of the repository run `npm ci`; where breakwater is installed as a package, install tsx with it (npm install tsx).\n",
  );
  process.exit(1);
}

const { main, nodeIo } = await loadCli();
// exitCode rather than exit(): stdout may still be flushing into a pipe.
process.exitCode = await main(process.argv.slice(2), nodeIo());
