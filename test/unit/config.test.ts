import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../worker/config.ts";

const base = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "secret", DATABASE_URL: "postgres://u:p@db.example.com/db" };

describe("config", () => {
  it("defaults to real Bedrock in us-east-1 with US inference profiles", () => {
    const c = parseConfig(base);
    expect(c.bedrockEndpoint).toBe("https://bedrock-runtime.us-east-1.amazonaws.com");
    expect(c.aws.region).toBe("us-east-1");
    expect(c.geoPrefix).toBe("us");
    expect(c.maxBodyBytes).toBe(20 * 1024 * 1024);
  });
  it("honours BEDROCK_ENDPOINT, AWS_REGION and BEDROCK_GEO_PREFIX=none", () => {
    const c = parseConfig({ ...base, BEDROCK_ENDPOINT: "http://127.0.0.1:9999/", AWS_REGION: "eu-west-1", BEDROCK_GEO_PREFIX: "none" });
    expect(c.bedrockEndpoint).toBe("http://127.0.0.1:9999");
    expect(c.aws.region).toBe("eu-west-1");
    expect(c.geoPrefix).toBe("");
  });
  it("fails with a message naming every bad variable", () => {
    expect(() => parseConfig({})).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => parseConfig({ ...base, AWS_REGION: "moon-1" })).toThrow(/AWS_REGION/);
    expect(() => parseConfig({ ...base, MODEL_ALIASES: "{not json" })).toThrow(/MODEL_ALIASES/);
    expect(() => parseConfig({ ...base, MAX_BODY_MB: "500" })).toThrow(/MAX_BODY_MB/);
  });
  it("reports requests in flight every minute and takes one unheard of for five for dead, unless told otherwise", () => {
    expect(parseConfig(base)).toMatchObject({ meterReportMs: 60_000, meterSilenceMs: 300_000 });
    expect(parseConfig({ ...base, METER_REPORT_MS: "300", METER_SILENCE_MS: "1500" })).toMatchObject({ meterReportMs: 300, meterSilenceMs: 1500 });
    // A silence shorter than three reports would free a live request's place after one lost report.
    expect(() => parseConfig({ ...base, METER_REPORT_MS: "60000", METER_SILENCE_MS: "120000" })).toThrow(/METER_SILENCE_MS must be at least three times METER_REPORT_MS/);
    expect(() => parseConfig({ ...base, METER_REPORT_MS: "10" })).toThrow(/METER_REPORT_MS/);
  });
});
