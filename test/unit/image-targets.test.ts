// Where a model that Bedrock serves in one region is called: its region (public endpoint, or the configured endpoint
// signed for that region), unless BEDROCK_TARGETS says otherwise.
import { describe, expect, it } from "vitest";
import { TargetRouter } from "../../worker/bedrock/targets.ts";
import { Catalog } from "../../worker/models/catalog.ts";

const catalog = new Catalog({ geoPrefix: "us", now: () => Date.parse("2026-06-01T00:00:00Z") });
const creds = { accessKeyId: "AKID", secretAccessKey: "secret" };
const router = (endpoint: string, targets = {}) => new TargetRouter({ region: "us-east-1", endpoint, credentials: creds, accounts: {}, targets });
const url = (r: TargetRouter, model: string) => {
  const [t] = r.targetsFor(catalog.resolve(model)!);
  return { name: t!.name, url: t!.client.url(t!.modelId, "invoke") };
};

describe("image models' home region", () => {
  it("a us-west-2 model is called at us-west-2's endpoint when the Worker runs in us-east-1", () => {
    const r = router("https://bedrock-runtime.us-east-1.amazonaws.com");
    expect(url(r, "stability-inpaint")).toEqual({
      name: "us-west-2/us.stability.stable-image-inpaint-v1:0",
      url: "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.stability.stable-image-inpaint-v1%3A0/invoke",
    });
    expect(url(r, "nova-canvas").url).toBe("https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-canvas-v1%3A0/invoke");
    expect(url(r, "claude-sonnet-4-6").name).toBe("us-east-1/us.anthropic.claude-sonnet-4-6");
  });

  it("BEDROCK_ENDPOINT keeps every call at that endpoint, signed for the model's region", () => {
    const r = router("http://127.0.0.1:9999");
    expect(url(r, "sd3.5-large")).toEqual({ name: "us-west-2/stability.sd3-5-large-v1:0", url: "http://127.0.0.1:9999/model/stability.sd3-5-large-v1%3A0/invoke" });
  });

  it("BEDROCK_TARGETS overrides the catalog's region", () => {
    const r = router("https://bedrock-runtime.us-east-1.amazonaws.com", { "sd3.5-large": [{ name: "vpc", region: "us-west-2", endpoint: "https://vpce.example/" }] });
    expect(url(r, "sd3.5-large")).toEqual({ name: "vpc", url: "https://vpce.example/model/stability.sd3-5-large-v1%3A0/invoke" });
  });
});
