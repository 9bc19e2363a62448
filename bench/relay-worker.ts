// The bare relay as a Worker (bench/relays.ts bundles it for workerd): UPSTREAM is the emulator's URL.
import { relay } from "./relay-handler.ts";

export default {
  fetch: (request: Request, env: { UPSTREAM: string }): Promise<Response> => relay(request, env.UPSTREAM),
};
