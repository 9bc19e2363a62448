/** A request id in Anthropic's style (`req_…`), returned on every response and written to the spend log. */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `req_bw_${hex}`;
}
