// The benchmark's keep-alive client resends a request only in Node's documented keep-alive race (a pooled
// connection that had served earlier requests is reset before any answer), and counts it; a reset on a new
// connection, or one after the answer began, is the server's failure and reaches the caller.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { KeepAliveClient } from "../../bench/http.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server whose `decide(n, socketRequests)` says, per request, whether to answer, reset the connection, or start an answer and reset. */
async function serve(decide: (n: number, onSocket: number) => "answer" | "reset" | "reset-mid-answer"): Promise<{ url: string; handled: () => number }> {
  let n = 0;
  const perSocket = new WeakMap<Socket, number>();
  const server = createServer((req, res) => {
    n++;
    const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, onSocket);
    req.resume();
    req.on("end", () => {
      const what = decide(n, onSocket);
      if (what === "reset") return req.socket.resetAndDestroy();
      if (what === "reset-mid-answer") {
        res.writeHead(200, { "content-length": "100" });
        res.write("partial");
        setTimeout(() => req.socket.resetAndDestroy(), 10);
        return;
      }
      res.end("ok");
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handled: () => n };
}

describe("the benchmark's keep-alive client", () => {
  it("resends once, on a new connection, a request whose kept-alive connection was reset before any answer", async () => {
    // The second request on any connection is dropped: what a server closing an idle connection looks like.
    const s = await serve((_n, onSocket) => (onSocket === 2 ? "reset" : "answer"));
    const client = new KeepAliveClient(s.url, 1);
    const before = KeepAliveClient.resentAfterReset;
    try {
      expect((await client.send({ method: "POST", path: "/", body: "a" })).status).toBe(200);
      const second = await client.send({ method: "POST", path: "/", body: "b", keepBody: true });
      expect(second.status).toBe(200);
      expect(second.body).toBe("ok");
    } finally {
      client.close();
    }
    expect(KeepAliveClient.resentAfterReset - before).toBe(1);
    expect(s.handled()).toBe(3);
  });

  it("does not resend when a new connection is reset, or when the answer had begun", async () => {
    const fresh = await serve(() => "reset");
    const c1 = new KeepAliveClient(fresh.url, 1);
    const before = KeepAliveClient.resentAfterReset;
    await expect(c1.send({ method: "GET", path: "/" })).rejects.toThrow();
    c1.close();
    expect(fresh.handled()).toBe(1);

    const mid = await serve((_n, onSocket) => (onSocket === 2 ? "reset-mid-answer" : "answer"));
    const c2 = new KeepAliveClient(mid.url, 1);
    try {
      await c2.send({ method: "GET", path: "/" });
      await expect(c2.send({ method: "GET", path: "/" })).rejects.toThrow();
    } finally {
      c2.close();
    }
    expect(mid.handled()).toBe(2);
    expect(KeepAliveClient.resentAfterReset - before).toBe(0);
  });
});
