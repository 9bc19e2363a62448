// The bare relay as a Deno server (bench/relays.ts runs it with the gateway's runtime flags): UPSTREAM is the
// emulator's URL; it listens on an ephemeral port on 127.0.0.1 and prints it.
import { relay } from "./relay-handler.ts";

declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(opts: { port: number; hostname: string; onListen?: (addr: { port: number }) => void }, handler: (req: Request) => Promise<Response>): unknown;
};

const upstream = Deno.env.get("UPSTREAM") ?? "";
Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(`relay listening on ${port}`) }, (req) => relay(req, upstream));
