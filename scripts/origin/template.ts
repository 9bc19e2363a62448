// Terraform's templatefile() syntax, the part the bootstrap uses: `${name}` is replaced by a value, `$${` stands for a
// literal `${`. Every name must be given and every given name used, so the Terraform and the template cannot drift
// apart silently. Pure: no I/O.
export function renderTemplate(template: string, vars: Record<string, string>): string {
  const used = new Set<string>();
  const out = template.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`template: only plain names are supported, not \${${name}}`);
    if (!(name in vars)) throw new Error(`template: no value for \${${name}}`);
    used.add(name);
    return vars[name]!;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`template: values never used: ${unused.join(", ")}`);
  return out;
}

/** What EC2 is sent: gzip, then base64 (Terraform's base64gzip()). EC2 allows 16 KB of user data. */
export const USER_DATA_LIMIT = 16 * 1024;
