// Server-side SigV4 verification (BEDROCK_WIRE §8.4) plus Bedrock API keys (§8.5). Written out by hand rather than
// by re-signing with @smithy/signature-v4 so that the canonical request is built from the path exactly as it
// arrived — that is the bug class we want to catch (signed path ≠ wire path) — and so a mismatch can report the
// canonical string AWS would have expected, the way AWS does.
import type { IncomingHttpHeaders } from "node:http";
import { createHash, createHmac } from "node:crypto";
import { AwsError, CORAL_NS } from "./errors.ts";

export interface AuthConfig {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Further regions accepted in the credential scope: one emulator stands in for Bedrock in several regions. */
  otherRegions?: readonly string[];
  bearerToken?: string;
}

export interface AuthRequest {
  method: string;
  /** `req.url` as received: path plus query, not decoded. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AuthOutcome {
  auth: "sigv4" | "bearer" | "none";
  signatureValid: boolean;
  /** Null when the request may proceed. */
  error: AwsError | null;
  /** The region of a SigV4 credential scope (where the caller meant the request to go). */
  region?: string;
}

const SERVICE = "bedrock";
const ALGORITHM = "AWS4-HMAC-SHA256";

const frontDoor = (errorType: string, message: string, status = 403): AwsError =>
  new AwsError(status, errorType, message, CORAL_NS);

export const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: encodeURIComponent plus the four characters it leaves alone. */
export const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Canonical URI = the wire path with each segment encoded once more (so %3A → %253A, ':' → %3A). */
export function canonicalUri(rawPath: string): string {
  const kept: string[] = [];
  for (const segment of rawPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") kept.pop();
    else kept.push(segment);
  }
  const joined = kept.map(rfc3986).join("/");
  return `/${joined}${kept.length > 0 && rawPath.endsWith("/") ? "/" : ""}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return "";
  return rawQuery
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [rfc3986(safeDecode(key)), rfc3986(safeDecode(value))] as const;
    })
    .filter(([key]) => key.toLowerCase() !== "x-amz-signature")
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  const joined = Array.isArray(v) ? v.join(",") : (v ?? "");
  return joined.trim().replace(/\s+/g, " ");
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string): ParsedAuthorization | null {
  if (!value.startsWith(`${ALGORITHM} `)) return null;
  const params = new Map<string, string>();
  for (const part of value.slice(ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = params.get("Credential")?.split("/");
  const signedHeaders = params.get("SignedHeaders");
  const signature = params.get("Signature");
  if (!credential || credential.length !== 5 || credential[4] !== "aws4_request" || !signedHeaders || !signature) {
    return null;
  }
  const [accessKeyId = "", date = "", region = "", service = ""] = credential;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(";"), signature };
}

/** The pieces AWS shows in its mismatch message; exported for tests. */
export function buildStringToSign(req: AuthRequest, auth: ParsedAuthorization, amzDate: string) {
  const [rawPath = "", rawQuery = ""] = splitOnce(req.rawUrl, "?");
  const contentSha = headerValue(req.headers, "x-amz-content-sha256");
  const payloadHash = contentSha || sha256Hex(req.body);
  const canonicalRequest = [
    req.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    auth.signedHeaders.map((h) => `${h}:${headerValue(req.headers, h)}\n`).join(""),
    auth.signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  return { canonicalRequest, stringToSign };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
}

/** `service`: the signing name the credential scope must carry ("bedrock"; "ec2" for the EC2 Query API). */
export function verifyAuth(req: AuthRequest, cfg: AuthConfig, service: string = SERVICE): AuthOutcome {
  const authorization = headerValue(req.headers, "authorization");
  if (!authorization) {
    return { auth: "none", signatureValid: false, error: frontDoor("MissingAuthenticationTokenException", "Missing Authentication Token") };
  }
  if (/^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    const ok = cfg.bearerToken !== undefined && token === cfg.bearerToken;
    // Observed AWS wording for a bad Bedrock API key; note the capitalised "Message" field.
    const error = ok
      ? null
      : new AwsError(403, "AccessDeniedException", "Authentication failed: Please make sure your API Key is valid.", CORAL_NS, "Message");
    return { auth: "bearer", signatureValid: false, error };
  }
  const parsed = parseAuthorization(authorization);
  const fail = (error: AwsError): AuthOutcome => ({ auth: "sigv4", signatureValid: false, error });
  if (!parsed) {
    return fail(
      frontDoor(
        "IncompleteSignatureException",
        `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, and the '${ALGORITHM}' algorithm. Authorization=${authorization}`,
      ),
    );
  }
  if (parsed.service !== service) {
    return fail(frontDoor("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'. `));
  }
  if (parsed.region !== cfg.region && !cfg.otherRegions?.includes(parsed.region)) {
    return fail(frontDoor("InvalidSignatureException", "Credential should be scoped to a valid region. "));
  }
  if (parsed.accessKeyId !== cfg.accessKeyId) {
    return fail(frontDoor("UnrecognizedClientException", "The security token included in the request is invalid."));
  }
  const amzDate = headerValue(req.headers, "x-amz-date");
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return fail(
      frontDoor("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."),
    );
  }
  if (amzDate.slice(0, 8) !== parsed.date) {
    return fail(
      frontDoor(
        "InvalidSignatureException",
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
      ),
    );
  }
  if (!parsed.signedHeaders.includes("host")) {
    return fail(frontDoor("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
  }
  const contentSha = headerValue(req.headers, "x-amz-content-sha256");
  if (contentSha && contentSha !== "UNSIGNED-PAYLOAD" && contentSha !== sha256Hex(req.body)) {
    return fail(frontDoor("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed."));
  }

  const { canonicalRequest, stringToSign } = buildStringToSign(req, parsed, amzDate);
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${cfg.secretAccessKey}`, parsed.date), parsed.region), parsed.service), "aws4_request");
  const expected = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  if (expected !== parsed.signature.toLowerCase()) {
    return fail(
      frontDoor(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." +
          `\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
      ),
    );
  }
  return { auth: "sigv4", signatureValid: true, error: null, region: parsed.region };
}
