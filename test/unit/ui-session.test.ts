import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { hasSession, SESSION_SECONDS, startSession } from "../../worker/ui/session.ts";

const MASTER = "sk-master-session-test-0123456789abcdefgh";
const T0 = Date.parse("2026-12-04T12:00:00Z");

// A session cookie made at T0 with one master key, checked at other times and against another key.
async function cookieAt(now: number, master = MASTER): Promise<string> {
  const app = new Hono();
  app.get("/", async (c) => {
    await startSession(c, master, now);
    return c.text("ok");
  });
  return (await app.request("https://gw.example/")).headers.get("set-cookie")!.split(";")[0]!;
}

async function valid(cookie: string, now: number, master = MASTER): Promise<boolean> {
  const app = new Hono();
  app.get("/", async (c) => c.text(String(await hasSession(c, master, now))));
  return (await (await app.request("https://gw.example/", { headers: { cookie } })).text()) === "true";
}

describe("dashboard session", () => {
  it("is valid until it expires, and not a second after", async () => {
    const cookie = await cookieAt(T0);
    expect(await valid(cookie, T0)).toBe(true);
    expect(await valid(cookie, T0 + SESSION_SECONDS * 1000 - 1000)).toBe(true);
    expect(await valid(cookie, T0 + SESSION_SECONDS * 1000)).toBe(false);
  });

  it("ends when the master key changes", async () => {
    expect(await valid(await cookieAt(T0), T0, `${MASTER}-rotated`)).toBe(false);
  });

  it("is unique per login and never contains the master key", async () => {
    const [a, b] = [await cookieAt(T0), await cookieAt(T0)];
    expect(a).not.toBe(b);
    expect(decodeURIComponent(a)).not.toContain(MASTER);
  });

  it("refuses an unsigned or re-signed value", async () => {
    const cookie = await cookieAt(T0);
    const [name, value] = cookie.split("=") as [string, string];
    const unsigned = decodeURIComponent(value).replace(/\.[^.]+$/, "");
    expect(await valid(`${name}=${encodeURIComponent(unsigned)}`, T0)).toBe(false);
    expect(await valid(`bw_ui=${value}`, T0)).toBe(false);
  });
});
