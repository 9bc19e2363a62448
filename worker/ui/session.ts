import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";

/**
 * The dashboard's login session: a signed cookie that holds only an expiry and a random nonce, never the master
 * key. It is signed (HMAC-SHA256, hono/cookie) with a key derived from the master key, so rotating MASTER_KEY ends
 * every session at once, and the expiry is inside the signed value: a client cannot stretch it by editing Max-Age.
 * `__Host-` prefix: Secure, Path=/, no Domain, so no sibling host can plant or read it.
 */

export const SESSION_COOKIE = "bw_ui";
/** Short-lived on purpose: an operator logs in for a look, not for the day. */
export const SESSION_SECONDS = 60 * 60;

const COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: "Strict", path: "/", prefix: "host" } as const;
const encoder = new TextEncoder();

/** The cookie-signing key: HMAC(master key, a fixed label), so the cookie is never signed with the master key itself. */
async function sessionSecret(masterKey: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(masterKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", key, encoder.encode("breakwater dashboard session v1"));
}

/** Starts a session: sets the cookie, valid for SESSION_SECONDS from `now`. */
export async function startSession(c: Context, masterKey: string, now = Date.now()): Promise<void> {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  const nonce = crypto.randomUUID();
  await setSignedCookie(c, SESSION_COOKIE, `${expires}.${nonce}`, await sessionSecret(masterKey), { ...COOKIE_OPTIONS, maxAge: SESSION_SECONDS });
}

/** Whether the request carries a session cookie with a valid signature that has not expired. */
export async function hasSession(c: Context, masterKey: string, now = Date.now()): Promise<boolean> {
  const value = await getSignedCookie(c, await sessionSecret(masterKey), SESSION_COOKIE, "host");
  if (!value) return false;
  const expires = Number(value.split(".")[0]);
  return Number.isSafeInteger(expires) && expires * 1000 > now;
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
}
