// Reads the Terraform configuration as data (every .tf parsed by @cdktf/hcl2json), so tests can assert its security
// properties on machines that cannot download providers. Also: the terraform and shellcheck binaries when present,
// and a renderer for the origin's templatefile() bootstrap.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { REPO_ROOT } from "../../scripts/lib/db.ts";

export const TERRAFORM_DIR = join(REPO_ROOT, "terraform");

type Obj = Record<string, any>;

/** One parsed .tf file: its folder relative to terraform/ ("." for the root, "aws", "aws/private-bucket", …). */
export interface TfFile {
  module: string;
  file: string;
  body: Obj;
}

export function tfFiles(dir = TERRAFORM_DIR): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tfFiles(p));
    else if (name.endsWith(".tf")) out.push(p);
  }
  return out.sort();
}

export async function loadTerraform(): Promise<TfFile[]> {
  return Promise.all(
    tfFiles().map(async (p) => {
      const rel = relative(TERRAFORM_DIR, p);
      const module = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : ".";
      return { module, file: rel, body: (await parse(rel, readFileSync(p, "utf8"))) as Obj };
    }),
  );
}

/** Every block of a kind ("resource" / "data" / "module" / "locals" / …) and type, with its module and name. */
export function blocks(files: TfFile[], kind: string, type?: string): { module: string; name: string; body: Obj }[] {
  const out: { module: string; name: string; body: Obj }[] = [];
  for (const f of files) {
    const section = f.body[kind];
    if (!section) continue;
    if (kind === "locals") {
      for (const l of section as Obj[]) out.push({ module: f.module, name: "locals", body: l });
      continue;
    }
    if (kind === "module" || kind === "variable" || kind === "output") {
      for (const [name, list] of Object.entries(section as Obj)) for (const b of list as Obj[]) out.push({ module: f.module, name, body: b });
      continue;
    }
    for (const [t, byName] of Object.entries(section as Obj)) {
      if (type && t !== type) continue;
      for (const [name, list] of Object.entries(byName as Obj)) for (const b of list as Obj[]) out.push({ module: f.module, name, body: b });
    }
  }
  return out;
}

/** The value of a local, looked up in one module. */
export function local(files: TfFile[], module: string, name: string): any {
  for (const l of blocks(files, "locals")) if (l.module === module && name in l.body) return l.body[name];
  throw new Error(`local.${name} not found in ${module}`);
}

export function which(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;
}

/**
 * templatefile() for templates that only interpolate variables (`${name}`), with `$${` / `%%{` escapes. Throws on
 * directives (`%{ if }`) or on a variable the caller did not pass, as Terraform would.
 */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  if (/(^|[^%])%\{/.test(text)) throw new Error("template directives are not supported by this renderer");
  return text.replace(/(\$?)\$\{([^}]*)\}/g, (all, escape: string, expr: string) => {
    if (escape) return all.slice(1);
    const name = expr.trim();
    if (!(name in vars)) throw new Error(`template references \${${name}}, which Terraform does not pass`);
    return vars[name]!;
  }).replace(/%%\{/g, "%{");
}
