// SigV4 for the hot path: every Bedrock call is one POST of JSON to one of a handful of URLs, signed with one set of
// credentials. aws4fetch's AwsV4Signer re-derives everything per call (parses the URL, builds a Headers object,
// formats the date with a regex, re-encodes the path, imports the HMAC key); the gateway's own profile put that at
// about a tenth of its CPU per request. This signer asks aws4fetch once per URL for the canonical path and query,
// keeps the day's signing key prepared, and per call only hashes the body, builds the canonical request and signs
// it: the same bytes aws4fetch would produce (test/unit/bedrock-signer.test.ts compares them for random requests),
// checked again by the emulator's own SigV4 verification in every integration test. How it hashes is the runtime
// entry's choice (util/sha256.ts).
import { AwsV4Signer } from "aws4fetch";
import { toHex } from "../util/hex.ts";
import { NATIVE_HASHING, type Hashing } from "../util/sha256.ts";

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
}

/** The parts of the canonical request that depend only on the URL, as aws4fetch computes them. */
interface UrlParts {
  host: string;
  path: string;
  query: string;
}

/** A header set as every signature with it uses it (RequestSigner.prepared). */
interface PreparedHeaders {
  /** The headers sent, as given (lower-cased, trimmed), without x-amz-date and authorization. */
  sent: Record<string, string>;
  /** The signed names in order with their canonical values; host and x-amz-date are filled in per call. */
  canonical: ReadonlyArray<readonly [string, string]>;
  signedHeaders: string;
}

// Headers SigV4 leaves unsigned, as aws4fetch does (content-type among them: a proxy may rewrite it).
const UNSIGNABLE = new Set(["authorization", "content-type", "content-length", "user-agent", "presigned-expires", "expect", "x-amzn-trace-id", "range", "connection"]);
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const UTF8 = new TextEncoder();
type Bytes = Uint8Array<ArrayBuffer>;
/** Distinct URLs remembered; a gateway signs for a few dozen (models × operations × regions), so this never fills in use. */
const MAX_URLS = 256;

export class RequestSigner {
  private readonly urls = new Map<string, UrlParts>();
  private readonly preparedSets = new WeakMap<Record<string, string>, PreparedHeaders>();
  private stamp = { second: -1, datetime: "", scope: "" };
  private dayKey: { day: string; sign: (message: Bytes) => Promise<Uint8Array> } | null = null;

  constructor(
    private readonly creds: SigningCredentials,
    private readonly hashing: Hashing = NATIVE_HASHING,
  ) {}

  /**
   * The headers to send with a POST of `body` to `url`: the given ones (names lower-cased) plus x-amz-date,
   * x-amz-security-token when there is a session token, and authorization. Host comes from the URL, as fetch sets it.
   */
  async sign(url: string, headers: Record<string, string>, body: Bytes, now = Date.now()): Promise<Record<string, string>> {
    const { host, path, query } = this.urlParts(url);
    const { datetime, scope } = this.timestamp(now);
    const prepared = this.prepared(headers);
    let canonicalHeaders = "";
    for (const [name, value] of prepared.canonical) canonicalHeaders += `${name}:${name === "host" ? host : name === "x-amz-date" ? datetime : value}\n`;
    const bodyHash = await this.hashing.sha256(body);
    const canonical = `POST\n${path}\n${query}\n${canonicalHeaders}\n${prepared.signedHeaders}\n${toHex(bodyHash)}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${datetime}\n${scope}\n${toHex(await this.hashing.sha256(UTF8.encode(canonical)))}`;
    const signature = toHex(await this.signingKey(datetime.slice(0, 8))(UTF8.encode(stringToSign)));
    return {
      ...prepared.sent,
      "x-amz-date": datetime,
      authorization: `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope}, SignedHeaders=${prepared.signedHeaders}, Signature=${signature}`,
    };
  }

  /**
   * What the headers contribute to every signature: the values to send (names lower-cased, trimmed of HTTP
   * whitespace as a Headers object would trim them, so what is signed is what is sent) and the signed names in order.
   * A frozen header set (the client's fixed ones) is prepared once; any other is prepared per call.
   */
  private prepared(headers: Record<string, string>): PreparedHeaders {
    const known = this.preparedSets.get(headers);
    if (known) return known;
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (lower !== "host" && lower !== "x-amz-date" && lower !== "authorization") sent[lower] = value.replace(EDGE_WHITESPACE, "");
    }
    if (this.creds.sessionToken) sent["x-amz-security-token"] = this.creds.sessionToken;
    const names = ["host", "x-amz-date", ...Object.keys(sent).filter((n) => !UNSIGNABLE.has(n))].sort();
    const prepared: PreparedHeaders = {
      sent,
      canonical: names.map((n) => [n, sent[n]?.replace(/\s+/g, " ") ?? ""] as const),
      signedHeaders: names.join(";"),
    };
    if (Object.isFrozen(headers)) this.preparedSets.set(headers, prepared);
    return prepared;
  }

  private urlParts(url: string): UrlParts {
    let parts = this.urls.get(url);
    if (!parts) {
      const s = new AwsV4Signer({ url, accessKeyId: "-", secretAccessKey: "-", service: this.creds.service, region: this.creds.region });
      parts = { host: s.url.host, path: s.encodedPath, query: s.encodedSearch };
      if (this.urls.size >= MAX_URLS) this.urls.clear();
      this.urls.set(url, parts);
    }
    return parts;
  }

  /** ISO basic date-time (20261206T061234Z) and credential scope, formatted once per second. */
  private timestamp(now: number): { datetime: string; scope: string } {
    const second = Math.floor(now / 1000);
    if (second !== this.stamp.second) {
      const datetime = new Date(second * 1000).toISOString().replace(/[:-]|\.\d{3}/g, "");
      this.stamp = { second, datetime, scope: `${datetime.slice(0, 8)}/${this.creds.region}/${this.creds.service}/aws4_request` };
    }
    return this.stamp;
  }

  /**
   * The day's derived signing key, prepared once. Only the latest day is kept: around midnight two days may
   * alternate for a moment, which costs a derivation, never a wrong signature.
   */
  private signingKey(day: string): (message: Bytes) => Promise<Uint8Array> {
    if (this.dayKey?.day !== day) {
      const prepared = deriveSigningKey(this.hashing, this.creds, day).then((raw) => this.hashing.hmacKey(raw));
      const entry = { day, sign: async (message: Bytes) => (await prepared)(message) };
      // A failed derivation (it should not fail) is not remembered.
      prepared.catch(() => {
        if (this.dayKey === entry) this.dayKey = null;
      });
      this.dayKey = entry;
    }
    return this.dayKey.sign;
  }
}

/** The day's signing key: four HMACs, once a day. */
async function deriveSigningKey(hashing: Hashing, c: SigningCredentials, day: string): Promise<Uint8Array> {
  let k: Uint8Array = UTF8.encode(`AWS4${c.secretAccessKey}`);
  for (const part of [day, c.region, c.service, "aws4_request"]) k = await hashing.hmacKey(k)(UTF8.encode(part));
  return k;
}
