// Keys as a table row (key list) and as a field list (key info, and after create/update/rotate). Pure.
import type { KeyView } from "../api-types.ts";
import { describeModels } from "../models.ts";
import { count, instant, usd } from "./format.ts";
import { renderTable, type Column } from "./table.ts";

const LIST_COLUMNS: Column[] = [
  { header: "ALIAS" },
  { header: "KEY" },
  { header: "MODELS", maxWidth: 40 },
  { header: "SPEND / BUDGET", align: "right" },
  { header: "RPM / TPM", align: "right" },
  { header: "EXPIRES" },
  { header: "BLOCKED" },
];

export function keyTable(keys: readonly KeyView[], now: Date, color = false): string {
  return renderTable(
    LIST_COLUMNS,
    keys.map((k) => [
      k.key_alias ?? k.token_id,
      `${k.key_name}…`,
      describeModels(k.models),
      budgetText(k),
      `${k.rpm_limit === null ? "-" : count(k.rpm_limit)} / ${k.tpm_limit === null ? "-" : count(k.tpm_limit)}`,
      expiresText(k, now),
      k.blocked ? "yes" : "",
    ]),
    { color },
  );
}

export function keyDetails(k: KeyView, now: Date): string {
  const limits = [
    k.rpm_limit === null ? null : `${count(k.rpm_limit)} requests/min`,
    k.tpm_limit === null ? null : `${count(k.tpm_limit)} tokens/min`,
    k.max_parallel_requests === null ? null : `${count(k.max_parallel_requests)} in parallel`,
  ].filter((x) => x !== null);
  const rows: [string, string][] = [
    ["alias", k.key_alias ?? "(none)"],
    ["token id", k.token_id],
    ["key", `${k.key_name}… (only its start is stored in clear)`],
    ["models", k.models.length === 0 ? "all" : k.models.join(", ")],
    ["spend", budgetLine(k)],
    ["limits", limits.length > 0 ? limits.join(", ") : "none"],
    ["expires", expiresText(k, now)],
    ["blocked", k.blocked ? "yes" : "no"],
  ];
  if (k.grace_expires) rows.push(["previous key", `still accepted until ${instant(k.grace_expires)}`]);
  if (k.user_id) rows.push(["user", k.user_id]);
  if (k.team_id) rows.push(["team", k.team_id]);
  if (k.metadata && Object.keys(k.metadata).length > 0) rows.push(["metadata", JSON.stringify(k.metadata)]);
  if (k.created_at) rows.push(["created", instant(k.created_at)]);
  if (k.updated_at) rows.push(["updated", instant(k.updated_at)]);
  const w = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(w)}  ${value}\n`).join("");
}

function budgetText(k: KeyView): string {
  const max = k.max_budget === null ? "none" : usd(k.max_budget);
  return `${usd(k.spend)} / ${max}${k.budget_duration ? ` per ${k.budget_duration}` : ""}`;
}

function budgetLine(k: KeyView): string {
  if (k.max_budget === null) return `${usd(k.spend)} (no budget)`;
  const reset = k.budget_duration ? `, resets every ${k.budget_duration}${k.budget_reset_at ? ` (next ${instant(k.budget_reset_at)})` : ""}` : "";
  return `${usd(k.spend)} of ${usd(k.max_budget)}${reset}`;
}

function expiresText(k: KeyView, now: Date): string {
  if (k.expires === null) return "never";
  return Date.parse(k.expires) <= now.getTime() ? `expired ${instant(k.expires)}` : instant(k.expires);
}
