import { GatewayError } from "../../worker/edge/errors.ts";

/** The GatewayError `fn` throws: its status, the field it names and its message. Fails when `fn` does not refuse. */
export function refusal(fn: () => unknown): { status: number; param?: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return { status: e.status, param: e.param, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}
