// What the EC2 instance runs (origin/): the LiteLLM config is current with the catalog, the tunnel's ingress sends
// each path where it belongs, every systemd unit carries the hardening, and the bootstrap renders completely and fits
// EC2's 16 KB user-data limit gzip+base64.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { MODELS } from "../../worker/models/catalog-data.ts";
import { currentLitellmConfig, LITELLM_CONFIG_PATH, ORIGIN_DIR, renderBootstrap, UNITS, userData } from "../../scripts/origin/files.ts";
import { renderLitellmConfig } from "../../scripts/origin/litellm-config.ts";
import { renderTemplate, USER_DATA_LIMIT } from "../../scripts/origin/template.ts";
import { ingressRules } from "../support/local-origin.ts";

const VALUES = { region: "us-east-1", ssm_prefix: "/breakwater", artifacts_bucket: "bw-artifacts", video_bucket_us_east_1: "bw-video-use1", video_bucket_us_west_2: "bw-video-usw2" };

describe("LiteLLM config", () => {
  it("origin/litellm/config.yaml is what the catalog generates (run `npm run origin:render -- litellm` after changing the catalog)", () => {
    expect(readFileSync(LITELLM_CONFIG_PATH, "utf8")).toBe(currentLitellmConfig());
  });

  it("lists every catalog model and origin-only model, takes the master key from the environment, and has no admin UI", () => {
    const text = renderLitellmConfig([{ name: "sd3-large", model: "bedrock/stability.sd3-5-large-v1:0", region: "us-west-2", price: { input: 1, output: 2 } }]);
    for (const row of MODELS) expect(text).toContain(`- model_name: "${row.name}"`);
    expect(text).toContain('model: "bedrock/us.anthropic.claude-sonnet-4-6"');
    expect(text).toMatch(/- model_name: "sd3-large"\n {4}litellm_params:\n {6}model: "bedrock\/stability.sd3-5-large-v1:0"\n {6}aws_region_name: "us-west-2"/);
    expect(text).toContain("master_key: os.environ/LITELLM_MASTER_KEY");
    expect(text).toContain("disable_admin_ui: true");
    expect(text).not.toMatch(/sk-|secret/i);
  });
});

describe("tunnel ingress", () => {
  const rules = ingressRules();
  const route = (path: string) => rules.find((r) => r.pattern === null || r.pattern.test(path))!.service;

  it("videos go to the sidecar, LiteLLM's routes to LiteLLM, anything else is a 404", () => {
    expect(route("/v1/videos/generations")).toBe("http://127.0.0.1:4001");
    expect(route("/v1/videos/generations/job1")).toBe("http://127.0.0.1:4001");
    expect(route("/v1/chat/completions")).toBe("http://127.0.0.1:4000");
    expect(route("/v1/messages")).toBe("http://127.0.0.1:4000");
    expect(route("/health/liveliness")).toBe("http://127.0.0.1:4000");
    for (const p of ["/health/readiness", "/", "/key/list", "/v1/videosx", "/x/v1/videos", "/v1/chat/completions/x", "/ui"]) expect(route(p), p).toBe("http_status:404");
  });

  it("every path rule is anchored and the last rule is the catch-all", () => {
    expect(rules[rules.length - 1]).toEqual({ pattern: null, service: "http_status:404" });
    for (const r of rules.slice(0, -1)) {
      expect(r.pattern!.source.startsWith("^"), r.pattern!.source).toBe(true);
      expect(/\$\)?$/.test(r.pattern!.source), r.pattern!.source).toBe(true);
    }
  });
});

describe("systemd units", () => {
  const unit = (f: string) => readFileSync(join(ORIGIN_DIR, "systemd", f), "utf8");
  const HARDENING = [
    "NoNewPrivileges=yes", "CapabilityBoundingSet=", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
    "ProtectClock=yes", "ProtectHostname=yes", "ProtectKernelLogs=yes", "ProtectKernelModules=yes", "ProtectKernelTunables=yes",
    "ProtectControlGroups=yes", "RestrictNamespaces=yes", "RestrictSUIDSGID=yes", "SystemCallFilter=@system-service", "UMask=0077",
  ];
  const MEMORY: Record<string, string> = { "litellm.service": "1280M", "breakwater-sidecar.service": "256M", "cloudflared.service": "256M" };

  it.each(Object.values(UNITS))("%s carries the hardening, its memory cap and its own non-root user", (file) => {
    const text = unit(file);
    for (const d of HARDENING) expect(text.split("\n"), d).toContain(d);
    expect(text).toContain(`MemoryMax=${MEMORY[file]}`);
    const user = /^User=(.+)$/m.exec(text)?.[1];
    expect(user).toBeDefined();
    expect(user).not.toBe("root");
    expect(text).not.toMatch(/^(User|Group)=root$/m);
  });

  it("each service has a different user, and services listen on 127.0.0.1 only", () => {
    const users = Object.values(UNITS).map((f) => /^User=(.+)$/m.exec(unit(f))![1]);
    expect(new Set(users).size).toBe(users.length);
    expect(unit("litellm.service")).toContain("--host 127.0.0.1 --port 4000");
    expect(unit("breakwater-sidecar.service")).toContain("HOST=127.0.0.1 PORT=4001");
  });
});

describe("bootstrap", () => {
  it("renders completely, and gzip+base64 fits EC2's 16 KB user data", () => {
    const script = renderBootstrap(VALUES);
    expect(script).not.toMatch(/\$\{[a-z_]+\}/); // no placeholder left
    const data = userData(script);
    expect(data.length).toBeLessThanOrEqual(USER_DATA_LIMIT);
    expect(gunzipSync(Buffer.from(data, "base64")).toString("utf8")).toBe(script);
  });

  it("installs pinned, checked software, reads secrets from SSM, writes env files under umask 077, and runs once", () => {
    const script = renderBootstrap(VALUES);
    expect(script).toContain("umask 077");
    expect(script).toContain("dnf install -y nodejs22");
    expect(script).toContain("--require-hashes");
    // Artifacts are checked against the SHA-256 npm run deploy published in SSM; cloudflared comes from the signed repo.
    expect(script).toContain("fetch_checked sidecar/sidecar.tar.gz /root/sidecar.tar.gz artifacts/sidecar-sha256");
    expect(script).toContain("fetch_checked litellm/requirements.txt /root/litellm-requirements.txt artifacts/litellm-requirements-sha256");
    expect(script).toContain('echo "$sum  $2" | sha256sum -c -');
    expect(script).toContain("dnf install -y 'cloudflared-2026.3.0'");
    expect(script).toContain("VIDEO_BUCKET_US_WEST_2=%s");
    expect(script).toContain("'bw-video-usw2'");
    expect(script).toContain("MARKER=/var/lib/breakwater/bootstrapped");
    expect(script).toMatch(/ssm get-parameter .*--with-decryption/);
    for (const user of ["litellm", "bw-sidecar", "cloudflared"]) expect(script).toContain(user);
    expect(script).toContain("--shell /sbin/nologin");
    // The units and the LiteLLM config travel inside it, byte for byte.
    expect(script).toContain(readFileSync(join(ORIGIN_DIR, "systemd/litellm.service"), "utf8").trimEnd());
    expect(script).toContain(currentLitellmConfig().trimEnd());
  });

  it("refuses to render without its values, and the template renderer catches missing or unused values", () => {
    expect(() => renderBootstrap({ ...VALUES, artifacts_bucket: "" })).toThrow(/artifacts_bucket/);
    expect(() => renderTemplate("a ${x} b", {})).toThrow(/no value for \$\{x\}/);
    expect(() => renderTemplate("a ${x}", { x: "1", y: "2" })).toThrow(/never used: y/);
    expect(renderTemplate("$${HOME} ${x}", { x: "1" })).toBe("${HOME} 1");
  });
});
