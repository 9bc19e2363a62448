/** A request id in Anthropic's style (`req_…`), returned on every response and written to the spend log. */
export function newRequestId(): string {
  // randomUUID is native and far cheaper than formatting random bytes in JS on every request.
  return `req_bw_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}
