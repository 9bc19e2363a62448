/**
 * Scrubbing for anything that may reach a log line or an error message. Log call sites are supposed to pass only
 * safe fields (util/log.ts); these are the backstop for the places that cannot know — request headers, upstream
 * error text, exception messages that might quote a credential.
 */

const REDACTED = "[redacted]";

/** Headers whose values are credentials, always. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "cookie",
  "set-cookie",
  "cf-access-jwt-assertion",
  "cf-access-client-id",
  "cf-access-client-secret",
  "cf-access-token",
  "x-amz-security-token",
]);

// Names that suggest a credential even when we have never heard of the header (x-goog-api-key, x-auth-token, …).
const SECRET_HEADER_NAME = /(auth|token|secret|password|passwd|api[-_]?key|session|credential|signature|cookie)/i;

/**
 * A plain object of the headers, names lower-cased, with credential headers' values replaced by "[redacted]" and
 * credential-shaped substrings removed from the rest. Safe to log.
 */
export function redactHeaders(h: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (value: string, name: string) => {
    const k = name.toLowerCase();
    out[k] = SECRET_HEADERS.has(k) || SECRET_HEADER_NAME.test(k) ? REDACTED : redactSecrets(String(value), []);
  };
  if (h instanceof Headers) h.forEach(add);
  else for (const [name, value] of Object.entries(h)) add(value, name);
  return out;
}

// Shapes of credentials worth removing wherever they appear. Each is anchored so it does not start mid-token.
const SECRET_SHAPES: [RegExp, string][] = [
  // Breakwater keys (sk-bw- + 40 base62), before the generic sk- rule. The prefix stays: it tells a reader what
  // leaked. The 4-character display prefix the gateway logs on purpose (keyPrefix) is left alone; 8+ characters go.
  [/(?<![A-Za-z0-9_-])sk-bw-[A-Za-z0-9]{8,}/g, `sk-bw-${REDACTED}`],
  // Other vendors' sk- keys (Anthropic, OpenAI).
  [/(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Bearer credentials however they are quoted. (Basic appears only in Authorization, which is redacted by name;
  // matching "Basic <word>" in prose would eat ordinary error text.)
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JWTs (Access assertions, OIDC tokens).
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // AWS access key ids.
  [/(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, REDACTED],
  // AWS secret keys and session tokens after their usual names, in env, ini, JSON and query forms.
  [
    /((?:aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token|session_?token|x-amz-security-token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=%]{16,}/gi,
    `$1${REDACTED}`,
  ],
  // SigV4 signatures and credentials in an Authorization value or a presigned URL.
  [/\b((?:X-Amz-)?Signature=)[0-9a-f]{64}/gi, `$1${REDACTED}`],
  [/\b(X-Amz-Credential=)[^&\s]+/gi, `$1${REDACTED}`],
  // Cloudflare Access service-token secrets (new format).
  [/(?<![A-Za-z0-9_])cfast_[A-Za-z0-9]{16,}/g, REDACTED],
  // PEM private keys.
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, REDACTED],
];

// Shorter "secrets" would shred ordinary text (and are not secrets worth the name); they are not searched for.
const MIN_SECRET_LENGTH = 6;

/**
 * `text` with every occurrence of the given secret values (configured credentials: AWS keys, database URL, Access
 * client secret, …) and anything shaped like a credential replaced by "[redacted]".
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  const values = [...new Set(secrets.filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  for (const s of values) {
    out = out.split(s).join(REDACTED);
    // A secret can also appear URL-encoded (query strings, database URLs).
    const encoded = encodeURIComponent(s);
    if (encoded !== s) out = out.split(encoded).join(REDACTED);
  }
  for (const [re, replacement] of SECRET_SHAPES) out = out.replace(re, replacement);
  return out;
}
