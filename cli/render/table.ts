// Plain-text tables: columns padded to their widest cell, two spaces apart, numbers right-aligned. Pure.

export interface Column {
  header: string;
  align?: "left" | "right";
  /** Longer cells are cut with "…" (model lists can be long). */
  maxWidth?: number;
}

export interface TableOptions {
  /** Bold headers (ANSI), for a terminal. */
  color?: boolean;
  /** Rows drawn after a rule under the body (totals). */
  footer?: string[][];
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const cut = (cell: string, c: Column) => (c.maxWidth !== undefined && width(cell) > c.maxWidth ? `${[...cell].slice(0, c.maxWidth - 1).join("")}…` : cell);
  const body = rows.map((r) => columns.map((c, i) => cut(r[i] ?? "", c)));
  const footer = (opts.footer ?? []).map((r) => columns.map((c, i) => cut(r[i] ?? "", c)));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...[...body, ...footer].map((r) => width(r[i]!))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === "right" ? pad(cell, widths[i]!, "left") : pad(cell, widths[i]!, "right")))
      .join("  ")
      .trimEnd();
  const header = line(columns.map((c) => c.header));
  const out = [opts.color ? `\u001b[1m${header}\u001b[22m` : header, ...body.map(line)];
  if (footer.length > 0) out.push("─".repeat(Math.max(...out.map(width), ...footer.map((f) => width(line(f))))), ...footer.map(line));
  return `${out.join("\n")}\n`;
}

/** Display width: code points, ANSI colour codes excluded. (Every character the CLI prints is one column wide.) */
export function width(text: string): number {
  return [...text.replace(/\u001b\[[0-9;]*m/g, "")].length;
}

function pad(text: string, to: number, side: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, to - width(text)));
  return side === "left" ? fill + text : text + fill;
}
