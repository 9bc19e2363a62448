// The three compared paths as request functions: the direct path (this process signs with aws4fetch and calls the
// emulator itself, as a Bedrock client would) and the two gateway runtimes (POST /v1/messages with a virtual key).
import { AwsClient } from "aws4fetch";
import { expectOk, KeepAliveClient, type Timed } from "./http.ts";

export type PathName = "direct" | "workerd-relay" | "deno-relay" | "workerd" | "deno";

export interface BenchPath {
  name: PathName;
  client: KeepAliveClient;
  /** One non-streaming Messages/InvokeModel call (`keepBody` for the sanity checks before measuring). */
  invoke(keepBody?: boolean): Promise<Timed>;
  /** One streaming call; firstByteMs is the time to the first body chunk. */
  stream(keepBody?: boolean): Promise<Timed>;
}

/** What the gateway sends upstream for one request, captured from the emulator so the direct path sends the same. */
export interface UpstreamCall {
  path: string;
  body: string;
}

export const MESSAGES_BODY = { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] };

export interface DirectOptions {
  emulatorUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  invoke: UpstreamCall;
  stream: UpstreamCall;
}

export type Signer = (up: UpstreamCall, streaming: boolean) => Promise<Record<string, string>>;

/** SigV4 headers for one emulator call, with the same signer settings as worker/bedrock/client.ts. */
export function emulatorSigner(o: Omit<DirectOptions, "invoke" | "stream">): Signer {
  const aws = new AwsClient({ accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, service: "bedrock", region: o.region, retries: 0 });
  return async (up, streaming) => {
    const signed = await aws.sign(o.emulatorUrl + up.path, {
      method: "POST",
      headers: { "content-type": "application/json", [streaming ? "x-amzn-bedrock-accept" : "accept"]: "application/json" },
      body: up.body,
    });
    const headers: Record<string, string> = {};
    signed.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return headers;
  };
}

export function directPath(o: DirectOptions): BenchPath {
  return signedPath("direct", o.emulatorUrl, emulatorSigner(o), o);
}

/**
 * A bare relay (bench/relays.ts) in front of the emulator: the client signs exactly as on the direct path and the
 * relay forwards, so the only difference from the direct path is the runtime in between.
 */
export function relayPath(name: PathName, relayUrl: string, sign: Signer, o: Pick<DirectOptions, "invoke" | "stream">): BenchPath {
  return signedPath(name, relayUrl, sign, o);
}

function signedPath(name: PathName, baseUrl: string, sign: Signer, o: Pick<DirectOptions, "invoke" | "stream">): BenchPath {
  const client = new KeepAliveClient(baseUrl);
  const call = async (up: UpstreamCall, streaming: boolean, keepBody = false): Promise<Timed> => {
    // Signing is inside the timed call on purpose: a client that skips the gateway has to sign every request itself.
    const headers = await sign(up, streaming);
    return expectOk(client.send({ method: "POST", path: up.path, headers, body: up.body, keepBody }), `${name} ${up.path}`);
  };
  return {
    name,
    client,
    invoke: (keepBody) => call(o.invoke, false, keepBody),
    stream: (keepBody) => call(o.stream, true, keepBody),
  };
}

export function gatewayHeaders(apiKey: string): Record<string, string> {
  return { "content-type": "application/json", "x-api-key": apiKey, "anthropic-version": "2023-06-01" };
}

export function gatewayPath(name: PathName, baseUrl: string, apiKey: string): BenchPath {
  const client = new KeepAliveClient(baseUrl);
  const headers = gatewayHeaders(apiKey);
  const plain = JSON.stringify(MESSAGES_BODY);
  const streaming = JSON.stringify({ ...MESSAGES_BODY, stream: true });
  return {
    name,
    client,
    invoke: (keepBody) => expectOk(client.send({ method: "POST", path: "/v1/messages", headers, body: plain, keepBody }), `${name} /v1/messages`),
    stream: (keepBody) =>
      expectOk(client.send({ method: "POST", path: "/v1/messages", headers, body: streaming, keepBody }), `${name} /v1/messages stream`),
  };
}

/** An InvokeModelWithResponseStream call whose answer is `words` words long (the emulator's magic prompt). */
export function longUpstreamCall(streamPath: string, words: number): UpstreamCall {
  const body = { anthropic_version: "bedrock-2023-05-31", max_tokens: words * 2 + 16, messages: [{ role: "user", content: `[[emu:words ${words}]]` }] };
  return { path: streamPath, body: JSON.stringify(body) };
}

/** A streaming Messages request whose answer is `words` words long (the emulator's [[emu:words N]] magic prompt). */
export function longStream(client: KeepAliveClient, label: string, apiKey: string, words: number): Promise<Timed> {
  const body = JSON.stringify({
    model: MESSAGES_BODY.model,
    // Above the word count, so the emulator's max_tokens cut-off (plan.ts) does not shorten the answer.
    max_tokens: words * 2 + 16,
    stream: true,
    messages: [{ role: "user", content: `[[emu:words ${words}]]` }],
  });
  return expectOk(client.send({ method: "POST", path: "/v1/messages", headers: gatewayHeaders(apiKey), body }), `${label} long stream (${words} words)`);
}
