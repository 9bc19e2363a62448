// S3 presigned GETs on the local bucket folder: path-style `/<bucket>/<key>?X-Amz-Algorithm=…&X-Amz-Signature=…`.
// The query signature is checked as S3 checks it (service s3, the bucket's region, single-encoded path, host the
// only signed header, UNSIGNED-PAYLOAD), and so is the expiry (X-Amz-Date + X-Amz-Expires). Errors are S3's XML.
import { createHash, createHmac } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { join } from "node:path";
import { rfc3986 } from "./sigv4.ts";

export interface S3Check {
  ok: boolean;
  code?: string;
  message?: string;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();
const sha256Hex = (s: string): string => createHash("sha256").update(s).digest("hex");

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

export function isPresignedGet(method: string, rawUrl: string): boolean {
  return method === "GET" && /[?&]X-Amz-Algorithm=/.test(rawUrl);
}

/** Verifies a presigned URL's query signature and expiry against the credentials the emulator knows. */
export function verifyPresigned(rawUrl: string, headers: IncomingHttpHeaders, creds: { accessKeyId: string; secretAccessKey: string }, now = Date.now()): S3Check {
  const [rawPath = "", rawQuery = ""] = rawUrl.split("?", 2);
  const q = new URLSearchParams(rawQuery);
  const credential = (q.get("X-Amz-Credential") ?? "").split("/");
  const amzDate = q.get("X-Amz-Date") ?? "";
  const expires = Number(q.get("X-Amz-Expires") ?? "86400");
  const signature = q.get("X-Amz-Signature") ?? "";
  if (q.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || credential.length !== 5 || !signature || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return { ok: false, code: "AuthorizationQueryParametersError", message: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters." };
  }
  const [accessKeyId, date, region, service] = credential;
  if (accessKeyId !== creds.accessKeyId) return { ok: false, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
  if (service !== "s3") return { ok: false, code: "SignatureDoesNotMatch", message: "Credential should be scoped to correct service: 's3'." };
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) return { ok: false, code: "AuthorizationQueryParametersError", message: "X-Amz-Expires must be between 1 and 604800 seconds." };
  const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (now > signedAt + expires * 1000) return { ok: false, code: "AccessDenied", message: "Request has expired" };
  const signedHeaders = (q.get("X-Amz-SignedHeaders") ?? "").split(";");
  const canonicalUri = rawPath.split("/").map((s) => rfc3986(decode(s))).join("/");
  const canonicalQuery = [...q.entries()]
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(headers[h] ?? "").trim()}\n`).join("");
  const canonicalRequest = ["GET", canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date!), region!), "s3"), "aws4_request");
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  if (expected !== signature) return { ok: false, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method." };
  return { ok: true };
}

/** Serves one presigned GET from the bucket folder (or S3's XML error). */
export function servePresigned(rawUrl: string, headers: IncomingHttpHeaders, res: ServerResponse, bucketDir: string, creds: { accessKeyId: string; secretAccessKey: string }): void {
  const check = verifyPresigned(rawUrl, headers, creds);
  if (!check.ok) return xmlError(res, 403, check.code!, check.message!);
  const segments = (rawUrl.split("?")[0] ?? "").split("/").filter(Boolean).map(decode);
  if (segments.length < 2 || segments.some((s) => s === ".." || s === "." || s.includes("\\"))) return xmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
  const path = join(bucketDir, ...segments);
  if (!existsSync(path) || !statSync(path).isFile()) return xmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
  const body = readFileSync(path);
  res.writeHead(200, { "Content-Type": "video/mp4", "Content-Length": String(body.length) });
  res.end(body);
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": String(Buffer.byteLength(xml)) });
  res.end(xml);
}
