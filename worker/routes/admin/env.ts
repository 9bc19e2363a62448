import type { Context } from "hono";
import type { AppEnv } from "../../context.ts";

/** The gateway's context plus who the admin caller is (set by the admin authentication). */
export interface AdminEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** Recorded as the audit row's actor: "master" for the master key; an Access identity once that exists. */
    adminActor: string;
  };
}

export type AdminContext = Context<AdminEnv>;
