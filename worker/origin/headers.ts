/**
 * Which headers cross the edge → origin hop, both ways. Allowlists: the client's credentials (x-api-key,
 * Authorization, cookies, Access headers) never reach the origin, and the origin's infrastructure headers (servers,
 * versions, cookies, Cloudflare's own) never reach the client.
 */
const FROM_CLIENT = ["content-type", "accept", "anthropic-version", "anthropic-beta", "openai-beta"];
const TO_CLIENT = ["content-type", "cache-control", "retry-after", "content-disposition"];

export interface OriginCredentials {
  access: { clientId: string; clientSecret: string } | null;
  identity: string;
  identityHeader: string;
  requestId: string;
  /** LiteLLM's master key on LiteLLM routes. */
  bearer: string | null;
}

export function originRequestHeaders(incoming: Headers, creds: OriginCredentials): Headers {
  const out = new Headers();
  for (const name of FROM_CLIENT) {
    const v = incoming.get(name);
    if (v !== null) out.set(name, v);
  }
  if (creds.access) {
    out.set("cf-access-client-id", creds.access.clientId);
    out.set("cf-access-client-secret", creds.access.clientSecret);
  }
  if (creds.bearer) out.set("authorization", `Bearer ${creds.bearer}`);
  out.set(creds.identityHeader, creds.identity);
  out.set("x-request-id", creds.requestId);
  return out;
}

export function clientResponseHeaders(fromOrigin: Headers): Headers {
  const out = new Headers();
  for (const name of TO_CLIENT) {
    const v = fromOrigin.get(name);
    if (v !== null) out.set(name, v);
  }
  return out;
}
