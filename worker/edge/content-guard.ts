/**
 * Content guard: an optional, per-key check of prompts for secrets and personal data before they leave for Bedrock.
 * A key's policy either blocks such prompts or redacts the matches (`[REDACTED:<type>]`). Detectors favour precision
 * over recall — a guard that trips on version strings, dates and order numbers gets switched off — so each pattern
 * is anchored on word boundaries and most have a second check (Luhn and issuer prefix for cards, a keyword nearby
 * for AWS secret keys, required separators for phone numbers).
 *
 * Everything here is pure: bodies are never mutated (a changed body is a copy sharing the unchanged parts), and a
 * finding holds a type and offsets, never the matched text, so findings can be logged as they are.
 *
 * Also here: the AWS Bedrock Guardrail a key may name, validated and rendered for InvokeModel (headers) and Converse
 * (`guardrailConfig`) — Bedrock's own, model-side counterpart to this gateway-side check.
 */
import { isRecord } from "../util/is-record.ts";

export type DetectorType = "aws_key" | "private_key" | "card" | "email" | "phone" | "api_key";

export const ALL_DETECTORS: readonly DetectorType[] = ["aws_key", "private_key", "card", "email", "phone", "api_key"];

export interface GuardPolicy {
  action: "block" | "redact";
  detectors: DetectorType[];
}

export interface Finding {
  type: DetectorType;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
}

export interface FindingCount {
  type: string;
  count: number;
}

export interface GuardResult<T> {
  /** The body to send: the input itself when nothing was found or the policy blocks; a redacted copy otherwise. */
  body: T;
  /** How many matches of each type, over the whole request (in ALL_DETECTORS order). */
  findings: FindingCount[];
  /** True when the policy is "block" and anything was found: the caller must refuse the request. */
  blocked: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Detectors. Each returns candidate spans; scanText merges them. Lookbehinds keep matches from starting inside a
// longer token, which also keeps the scans linear on long runs of word characters.

type Span = [start: number, end: number];

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m;
    if (m[0].length === 0) re.lastIndex++;
  }
}

const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g;

function privateKeys(text: string): Span[] {
  // A BEGIN line without its END (a pasted key cut short) is redacted to the end of the text: better too much than a
  // private key half-sent.
  return [...matches(PRIVATE_KEY, text)].map((m) => [m.index, m.index + m[0].length]);
}

const AWS_ACCESS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const FORTY_CHAR_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_CONTEXT = /aws|secret/i;
const SECRET_CONTEXT_CHARS = 80;

function awsKeys(text: string): Span[] {
  const spans: Span[] = [...matches(AWS_ACCESS_KEY_ID, text)].map((m) => [m.index, m.index + m[0].length]);
  for (const m of matches(FORTY_CHAR_SECRET, text)) {
    const s = m[0];
    // Real secret keys are random base64: both cases and a digit. That rules out 40-hex git SHAs and plain words.
    if (!/[a-z]/.test(s) || !/[A-Z]/.test(s) || !/[0-9]/.test(s)) continue;
    if (!AWS_CONTEXT.test(text.slice(Math.max(0, m.index - SECRET_CONTEXT_CHARS), m.index))) continue;
    spans.push([m.index, m.index + s.length]);
  }
  return spans;
}

// Vendor-prefixed credentials with distinctive shapes. Bare high-entropy strings are not matched: too many false hits.
const API_KEY_PATTERNS: RegExp[] = [
  /(?<![A-Za-z0-9_-])sk-bw-[A-Za-z0-9]{20,}/g, // Breakwater
  /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g, // Anthropic
  /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/g, // OpenAI
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}/g, // GitHub tokens
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{40,}/g,
  /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, // Google API keys
  /(?<![A-Za-z0-9_])[rs]k_(?:live|test)_[0-9A-Za-z]{16,}/g, // Stripe
  /(?<![A-Za-z0-9_])cfast_[A-Za-z0-9]{40,}/g, // Cloudflare Access service-token secrets
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, // JWTs (bearer credentials)
];

function apiKeys(text: string): Span[] {
  return API_KEY_PATTERNS.flatMap((re) => [...matches(re, text)].map((m): Span => [m.index, m.index + m[0].length]));
}

const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/g;
// `icon@2x.png` and friends: asset names, not addresses.
const FILE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "avif", "pdf", "css", "scss", "js", "mjs", "ts", "tsx", "jsx", "json", "html", "txt", "md"]);

function emails(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of matches(EMAIL, text)) {
    if (FILE_EXTENSIONS.has((m[1] ?? "").toLowerCase())) continue;
    spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}

// Phone numbers, conservatively: an international number written with its `+` (E.164, 8–15 digits, optional
// single separators and one parenthesised group), or a North American number with its punctuation — `(415) 555-0123`,
// `415-555-0123`, `415.555.0123`, `+1 415 555 0123`. Ten bare digits are not matched: that is an order number or a
// timestamp as often as a phone number.
const INTL_PHONE = /(?<![\w+])\+[1-9]\d{0,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d){5,14}(?![\w]|[.-]\d)/g;
const NANP_PHONE = /(?<![\w.+-])(?:1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}([ .-]))[2-9]\d{2}[ .-]\d{4}(?![\w]|[.-]\d)/g;

function phones(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of matches(INTL_PHONE, text)) {
    const digits = m[0].replace(/\D/g, "").length;
    if (digits >= 8 && digits <= 15) spans.push([m.index, m.index + m[0].length]);
  }
  for (const m of matches(NANP_PHONE, text)) {
    // With a separator after the area code, the one before the last four digits must be the same (555-123-4567,
    // not 555-123.4567, which reads more like a version or a measurement).
    const sep = m[1];
    if (sep !== undefined && m[0].charAt(m[0].length - 5) !== sep) continue;
    spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}

// A maximal run of digit groups joined by single spaces or dashes, not starting inside a word or a decimal. No
// lookahead at the end: a failing lookahead would make the engine retry every shorter run (quadratic on long input),
// so what follows the run is checked in code instead.
const DIGIT_RUN = /(?<![\w.])\d+(?:[ -]\d+)*/g;
// Card numbers are printed in these groupings, longest first so a 19-digit card is not cut to its first 16 digits:
// Visa/MC/Discover/JCB 4-4-4-4[-1..3], Amex 4-6-5, Diners 4-6-4, old Visa 4-4-5.
const CARD_GROUPINGS = [[4, 4, 4, 4, 3], [4, 4, 4, 4, 2], [4, 4, 4, 4, 1], [4, 4, 4, 4], [4, 6, 5], [4, 6, 4], [4, 4, 5]];

interface DigitGroup {
  start: number;
  digits: string;
  /** The separator after this group ("" for the last). */
  sep: string;
}

function cards(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of matches(DIGIT_RUN, text)) {
    const groups: DigitGroup[] = [];
    for (const g of matches(/(\d+)([ -]?)/g, m[0])) groups.push({ start: m.index + g.index, digits: g[1]!, sep: g[2]! });
    // A last group glued to letters or a decimal point ("1111abc", "1111.5") is not part of a number.
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 2);
    if (/^(?:\w|\.\d)/.test(after)) groups.pop();
    let i = 0;
    while (i < groups.length) {
      const end = cardAt(groups, i);
      if (end === null) {
        i++;
        continue;
      }
      const last = groups[end - 1]!;
      spans.push([groups[i]!.start, last.start + last.digits.length]);
      i = end;
    }
  }
  return spans;
}

/** If a card number starts at group i, the index just past its last group. */
function cardAt(groups: readonly DigitGroup[], i: number): number | null {
  const first = groups[i]!;
  if (first.digits.length >= 13 && first.digits.length <= 19) return isCardNumber(first.digits) ? i + 1 : null;
  for (const lengths of CARD_GROUPINGS) {
    const end = i + lengths.length;
    if (end > groups.length) continue;
    const window = groups.slice(i, end);
    if (!window.every((g, k) => g.digits.length === lengths[k])) continue;
    // One separator style throughout: "4111 1111 1111 1111" or "4111-1111-1111-1111", not a mixture.
    if (new Set(window.slice(0, -1).map((g) => g.sep)).size !== 1) continue;
    if (isCardNumber(window.map((g) => g.digits).join(""))) return end;
  }
  return null;
}

/** 13–19 digits, an issuer prefix of a major network (2–6), and a valid Luhn checksum. */
export function isCardNumber(digits: string): boolean {
  if (!/^[2-6]\d{12,18}$/.test(digits)) return false;
  return luhnValid(digits);
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const DETECTORS: Record<DetectorType, (text: string) => Span[]> = {
  private_key: privateKeys,
  aws_key: awsKeys,
  api_key: apiKeys,
  card: cards,
  email: emails,
  phone: phones,
};

// When spans overlap, the more specific detector wins (a key block beats anything inside it).
const PRIORITY: DetectorType[] = ["private_key", "aws_key", "api_key", "card", "email", "phone"];

/**
 * Finds what the listed detectors match in `text`: non-overlapping, in order of position. On overlap, the span that
 * starts first wins; at the same start, the more specific detector, then the longer span.
 */
export function scanText(text: string, detectors: readonly DetectorType[]): Finding[] {
  if (!text) return [];
  const all: Finding[] = [];
  for (const type of PRIORITY) {
    if (!detectors.includes(type)) continue;
    for (const [start, end] of DETECTORS[type](text)) if (end > start) all.push({ type, start, end });
  }
  all.sort((a, b) => a.start - b.start || PRIORITY.indexOf(a.type) - PRIORITY.indexOf(b.type) || b.end - a.end);
  const kept: Finding[] = [];
  let until = 0;
  for (const f of all) {
    if (f.start < until) continue;
    kept.push(f);
    until = f.end;
  }
  return kept;
}

/** `text` with every finding replaced by `[REDACTED:<type>]`. */
export function redactText(text: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return text;
  let out = "";
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + `[REDACTED:${f.type}]`;
    at = f.end;
  }
  return out + text.slice(at);
}

// ---------------------------------------------------------------------------------------------------------------
// Walking request bodies. A Scanner scans each string it is given, tallies findings, and (in redact mode) returns the
// replacement; the walkers rebuild only the objects on a path to a changed string.

class Scanner {
  readonly counts = new Map<DetectorType, number>();
  constructor(private readonly policy: GuardPolicy) {}

  text(s: string): string {
    const found = scanText(s, this.policy.detectors);
    for (const f of found) this.counts.set(f.type, (this.counts.get(f.type) ?? 0) + 1);
    return this.policy.action === "redact" ? redactText(s, found) : s;
  }

  /** Every string value inside a JSON-like value (object keys are left alone). */
  deep(v: unknown): unknown {
    if (typeof v === "string") return this.text(v);
    if (Array.isArray(v)) return mapArray(v, (x) => this.deep(x));
    if (isRecord(v)) {
      let out: Record<string, unknown> | undefined;
      for (const [k, x] of Object.entries(v)) {
        const y = this.deep(x);
        if (y !== x) (out ??= { ...v })[k] = y;
      }
      return out ?? v;
    }
    return v;
  }

  /** A string holding JSON (tool-call arguments): scanned value by value so redaction keeps it valid JSON. */
  jsonString(s: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return this.text(s);
    }
    const next = this.deep(parsed);
    return next === parsed ? s : JSON.stringify(next);
  }

  result<T>(original: T, rewritten: T): GuardResult<T> {
    const findings = ALL_DETECTORS.filter((t) => this.counts.has(t)).map((type) => ({ type, count: this.counts.get(type)! }));
    const blocked = this.policy.action === "block" && findings.length > 0;
    return { body: this.policy.action === "redact" ? rewritten : original, findings, blocked };
  }
}


/** Maps an array, returning the same array when no element changed. */
function mapArray<T>(arr: readonly T[], f: (x: T) => T): T[] {
  let out: T[] | undefined;
  arr.forEach((x, i) => {
    const y = f(x);
    if (y !== x) (out ??= [...arr])[i] = y;
  });
  return out ?? (arr as T[]);
}

/** A copy of `obj` with `key` set to `value`, or `obj` itself when the value is unchanged. */
function withField<T extends Record<string, unknown>>(obj: T, key: string, value: unknown): T {
  return obj[key] === value ? obj : { ...obj, [key]: value };
}

/** Anthropic content: a string or blocks (text, tool_result, tool_use, document with a text source). */
function anthropicContent(sc: Scanner, content: unknown): unknown {
  if (typeof content === "string") return sc.text(content);
  if (!Array.isArray(content)) return content;
  return mapArray(content as unknown[], (block) => {
    if (!isRecord(block)) return block;
    switch (block.type) {
      case "text":
        return typeof block.text === "string" ? withField(block, "text", sc.text(block.text)) : block;
      case "tool_result":
        return withField(block, "content", anthropicContent(sc, block.content));
      case "tool_use":
        return withField(block, "input", sc.deep(block.input));
      case "document": {
        const source = block.source;
        if (isRecord(source) && source.type === "text" && typeof source.data === "string") {
          return withField(block, "source", withField(source, "data", sc.text(source.data)));
        }
        if (isRecord(source) && source.type === "content") return withField(block, "source", withField(source, "content", anthropicContent(sc, source.content)));
        return block;
      }
      default:
        // Images, thinking (signed: must reach Bedrock byte for byte), and anything unknown pass untouched.
        return block;
    }
  });
}

/**
 * Applies the policy to an Anthropic Messages request: `system` (string or text blocks) and every message's text,
 * tool_result content (string or blocks), tool_use input values and text documents.
 */
export function guardAnthropicRequest<T extends Record<string, unknown>>(body: T, policy: GuardPolicy): GuardResult<T> {
  const sc = new Scanner(policy);
  let out = body;
  if (body.system !== undefined) out = withField(out, "system", anthropicContent(sc, body.system));
  if (Array.isArray(body.messages)) {
    out = withField(
      out,
      "messages",
      mapArray(body.messages as unknown[], (m) => (isRecord(m) ? withField(m, "content", anthropicContent(sc, m.content)) : m)),
    );
  }
  return sc.result(body, out);
}

/** OpenAI content: a string or parts (only text parts carry prompt text). */
function openaiContent(sc: Scanner, content: unknown): unknown {
  if (typeof content === "string") return sc.text(content);
  if (!Array.isArray(content)) return content;
  return mapArray(content as unknown[], (part) =>
    isRecord(part) && part.type === "text" && typeof part.text === "string" ? withField(part, "text", sc.text(part.text)) : part,
  );
}

/**
 * Applies the policy to an OpenAI Chat Completions request: every message's content (system, developer, user,
 * assistant, tool), and assistant tool-call arguments (parsed, scanned value by value, re-serialised).
 */
export function guardOpenAIRequest<T extends Record<string, unknown>>(body: T, policy: GuardPolicy): GuardResult<T> {
  const sc = new Scanner(policy);
  let out = body;
  if (Array.isArray(body.messages)) {
    out = withField(
      out,
      "messages",
      mapArray(body.messages as unknown[], (m) => {
        if (!isRecord(m)) return m;
        let next = withField(m, "content", openaiContent(sc, m.content));
        if (Array.isArray(m.tool_calls)) {
          next = withField(
            next,
            "tool_calls",
            mapArray(m.tool_calls as unknown[], (call) => {
              if (!isRecord(call) || !isRecord(call.function) || typeof call.function.arguments !== "string") return call;
              return withField(call, "function", withField(call.function, "arguments", sc.jsonString(call.function.arguments)));
            }),
          );
        }
        return next;
      }),
    );
  }
  return sc.result(body, out);
}

/** Reads a key's guard policy from its metadata (`content_guard: { action, detectors? }`); null when absent. */
export function parseGuardPolicy(value: unknown): GuardPolicy | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value) || (value.action !== "block" && value.action !== "redact")) {
    throw new Error('content_guard must be {"action": "block"|"redact", "detectors"?: [...]}');
  }
  const detectors = value.detectors ?? [...ALL_DETECTORS];
  if (!Array.isArray(detectors) || detectors.some((d) => !ALL_DETECTORS.includes(d as DetectorType))) {
    throw new Error(`content_guard.detectors must be a list of: ${ALL_DETECTORS.join(", ")}`);
  }
  return { action: value.action, detectors: [...new Set(detectors as DetectorType[])] };
}

// ---------------------------------------------------------------------------------------------------------------
// Bedrock Guardrails, passed through when a key names one (BEDROCK_WIRE.md §1.4 and the Converse request table).

export interface BedrockGuardrail {
  /** A guardrail id or ARN. */
  identifier: string;
  /** A version number or "DRAFT". */
  version: string;
  trace?: "enabled" | "disabled" | "enabled_full";
}

// Bedrock's own patterns for these fields: anything else would be refused by Bedrock, or worse, end up in a header.
const GUARDRAIL_ID = /^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+)$/;
const GUARDRAIL_VERSION = /^(?:[1-9][0-9]{0,7}|DRAFT)$/;

/** Reads a key's guardrail from its metadata (`guardrail: { identifier, version, trace? }`); null when absent. */
export function parseGuardrail(value: unknown): BedrockGuardrail | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new Error("guardrail must be an object");
  const { identifier, version, trace } = value;
  const v = typeof version === "number" ? String(version) : version;
  if (typeof identifier !== "string" || !GUARDRAIL_ID.test(identifier)) throw new Error("guardrail.identifier must be a Bedrock guardrail id or ARN");
  if (typeof v !== "string" || !GUARDRAIL_VERSION.test(v)) throw new Error('guardrail.version must be a version number or "DRAFT"');
  if (trace !== undefined && trace !== "enabled" && trace !== "disabled" && trace !== "enabled_full") {
    throw new Error('guardrail.trace must be "enabled", "disabled" or "enabled_full"');
  }
  return { identifier, version: v, ...(trace ? { trace } : {}) };
}

/** Headers for InvokeModel / InvokeModelWithResponseStream. */
export function guardrailHeaders(g: BedrockGuardrail): Record<string, string> {
  return {
    "x-amzn-bedrock-guardrailidentifier": g.identifier,
    "x-amzn-bedrock-guardrailversion": g.version,
    ...(g.trace ? { "x-amzn-bedrock-trace": g.trace.toUpperCase() } : {}),
  };
}

/** The `guardrailConfig` field of a Converse / ConverseStream body. */
export function guardrailConfig(g: BedrockGuardrail): { guardrailIdentifier: string; guardrailVersion: string; trace?: string } {
  return { guardrailIdentifier: g.identifier, guardrailVersion: g.version, ...(g.trace ? { trace: g.trace } : {}) };
}
