// The origin and video panels read admin endpoints that other parts of the gateway will serve. Until they exist, a
// stand-in admin API here plays them (same authentication rule: the master key as a bearer token), to show that a
// panel goes from "not configured" to showing the endpoint's answer with no change to the dashboard.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AdminEnv } from "../../worker/routes/admin/env.ts";
import type { Services } from "../../worker/services.ts";
import { PANEL_ENDPOINTS, readPanel, type PanelData, type PanelSource } from "../../worker/ui/panels.ts";
import { originBody } from "../../worker/ui/views/origin.ts";

const MASTER = "sk-master-panels-0123456789abcdefghijklmnop";

function standInAdmin(): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();
  admin.get(PANEL_ENDPOINTS.origin, (c) => {
    if (c.req.header("authorization") !== `Bearer ${MASTER}`) return c.json({ error: { message: "Not found." } }, 404);
    return c.json({ state: "running", last_used_at: "2026-12-04T17:00:00.000Z", instance_id: "i-0abc" });
  });
  admin.get(PANEL_ENDPOINTS.videoJobs, (c) => c.json({ error: { message: "sidecar unreachable" } }, 502));
  return admin;
}

async function read(source: PanelSource, path: string): Promise<PanelData> {
  const app = new Hono<AdminEnv>();
  app.get("/ui/origin", async (c) => {
    c.set("services", { config: { masterKey: MASTER } } as unknown as Services);
    c.set("requestId", "req-test");
    return c.json(await readPanel(c, path, source));
  });
  return (await (await app.request("https://gw.example/ui/origin")).json()) as PanelData;
}

describe("dashboard panels", () => {
  const admin = standInAdmin();
  const listed = { [PANEL_ENDPOINTS.origin]: ["GET"], [PANEL_ENDPOINTS.videoJobs]: ["GET"] };

  it("are not configured while the firewall does not list the endpoint", async () => {
    expect(await read({ routes: {}, admin }, PANEL_ENDPOINTS.origin)).toEqual({ state: "not_configured" });
  });

  it("are not configured while the admin API does not serve a listed endpoint", async () => {
    expect(await read({ routes: listed, admin: new Hono<AdminEnv>() }, PANEL_ENDPOINTS.origin)).toEqual({ state: "not_configured" });
  });

  it("read the endpoint with the master key and show its state and fields", async () => {
    const origin = await read({ routes: listed, admin }, PANEL_ENDPOINTS.origin);
    expect(origin).toEqual({ state: "ok", body: { state: "running", last_used_at: "2026-12-04T17:00:00.000Z", instance_id: "i-0abc" } });
    const video = await read({ routes: listed, admin }, PANEL_ENDPOINTS.videoJobs);
    expect(video).toEqual({ state: "failed", status: 502, message: "sidecar unreachable" });
    const html = String(originBody(origin, video));
    expect(html).toContain('<span class="badge ok" id="origin-state">running</span>');
    expect(html).toContain("<dt>last used at</dt><dd>2026-12-04 17:00 UTC</dd>");
    expect(html).toContain("Could not read it (502): sidecar unreachable");
  });
});
