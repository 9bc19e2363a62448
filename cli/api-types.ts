// The admin API's response shapes the CLI reads (worker/routes/admin/*.ts is the source of truth).
import type { OriginStatus as OriginLifeStatus } from "../worker/origin/life.ts";
import type { SalvageReport, SetAsideChunk, SetAsideListing } from "../worker/meter/meter.ts";
import type { KeyView } from "../worker/routes/admin/key-view.ts";

export type { KeyView };

/** /key/generate and /key/regenerate: the view plus the key itself, shown this once. */
export type KeyWithSecret = KeyView & { key: string };

export interface KeyInfoResponse {
  key: string;
  info: KeyView;
}

export interface KeyListResponse {
  keys: KeyView[];
  total_count: number;
  current_page: number;
  total_pages: number;
}

export interface SpendTotals {
  spend: number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export interface SpendKeyRow extends SpendTotals {
  token_id: string | null;
  key_alias: string | null;
}

/** /spend/report, whichever group_by. */
export interface SpendReport {
  start_date: string;
  end_date: string;
  timezone: string;
  group_by: "key" | "model" | "day";
  total: SpendTotals;
  data: (SpendTotals & { date: string } | { date: string; keys: (SpendKeyRow & { models: (SpendTotals & { model: string })[] })[] } | { date: string; models: (SpendTotals & { model: string; keys: SpendKeyRow[] })[] })[];
}

/** `GET /origin/status`. */
export type OriginStatus = { configured: false } | ({ configured: true; url: string; instance_id: string | null } & OriginLifeStatus);

/** `GET /spend/unreadable`: a page of set-aside chunks; `next` is the `after` of the next page. */
export type SetAsideResponse = { key: string } & SetAsideListing;

/** `GET /spend/unreadable/chunk`: one chunk with all of its text. */
export interface SetAsideChunkResponse {
  key: string;
  chunk: SetAsideChunk;
}

/** `POST /spend/unreadable/salvage`. */
export type SalvageResponse = { key: string } & SalvageReport;
