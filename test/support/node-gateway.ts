// The Worker's own app and services (createApp, buildServices, the LeasedMeter over the DurableMeter, as
// worker/index.ts assembles them) run in this Node process against a test database, with a Durable Object
// namespace the test supplies: for what workerd under Miniflare cannot be made to do (an object that cannot be
// reached, an object's storage written by the test). Bedrock is never reached here.
import { createApp } from "../../worker/app.ts";
import { DurableMeter } from "../../worker/meter/durable-meter.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import { buildServices } from "../../worker/services.ts";
import type { TestDatabase } from "./database.ts";

export interface NodeGateway {
  /** The Worker's env, for an object the namespace makes (KeyMeterObject takes it too). */
  env: Record<string, string>;
  /** One request through the Worker's app; waitUntil's promises run on by themselves, as in workerd until they settle. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

export function nodeGateway(database: TestDatabase, masterKey: string, namespace: (env: Record<string, string>) => DurableObjectNamespace): NodeGateway {
  const env = {
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: "us-east-1",
    BEDROCK_ENDPOINT: "http://127.0.0.1:9",
    DATABASE_URL: database.shim.databaseUrl,
    DATABASE_HTTP_ENDPOINT: database.shim.httpEndpoint,
    MASTER_KEY: masterKey,
    BREAKWATER_DEV: "1",
  };
  const ns = namespace(env);
  const services = buildServices(env, { meter: (_e, spend, config) => new LeasedMeter(new DurableMeter(ns), spend, { flushDelayMs: config.spendFlushDelayMs }) });
  const app = createApp(() => services);
  const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
  return { env, fetch: (input, init) => Promise.resolve(app.fetch(new Request(String(input), init), {}, ctx)) };
}
