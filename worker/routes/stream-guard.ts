// The settle-once guard of a streamed answer. A streamed request is billed when its translator's `onEnd` fires, and
// the stream hooks that fire it do not behave alike on every runtime: workerd can drop a disconnected client
// without ever cancelling the response body, or fail the upstream body ("Network connection lost") without the
// abort reaching `transformer.cancel`. Then `onEnd` never ran, no spend row was written and the request's
// `waitUntil` never settled. So the guard owns the stream's two ends and ends the translator itself (`end()`, a
// no-op once it has ended) on whichever comes first:
//   * the response body cancelled by the client (seen here, whatever the runtime does with transformer hooks);
//   * the request's abort signal (workerd with `enable_request_signal`, Deno: the client went away);
//   * an error reading the upstream body;
//   * the upstream body giving nothing for `idleMs`: Bedrock stalled, or nobody reads the stream any more.
// Ending early bills the usage seen so far (the translator reports it as not completed) and cancels the upstream.
import type { TranscoderStream } from "../bedrock/frame-transcoder.ts";
import { relayReader, type Relay } from "../util/relay-reader.ts";

export interface GuardOptions {
  upstream: ReadableStream<Uint8Array>;
  translator: TranscoderStream;
  /** A stage after the translator (the keep-alive). */
  after?: TransformStream<Uint8Array, Uint8Array>;
  /** Aborts when the client has gone away; absent or never aborting where the runtime does not say so. */
  signal?: AbortSignal | null;
  idleMs: number;
  /** Why the guard cut the stream short (for the log). Not called when the stream ended by itself. */
  onCut?: (why: string) => void;
}

export interface GuardedStream {
  /** The client's response body. */
  body: ReadableStream<Uint8Array>;
  /** Tells the guard the translator has ended (call it from onEnd): stops the idle timer and the signal listener. */
  settled(): void;
}

export function guardStream(o: GuardOptions): GuardedStream {
  const upstream = o.upstream.getReader();
  let over = false;
  let lastRead = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let client: Relay<Uint8Array> | undefined;

  const settled = (): void => {
    if (over) return;
    over = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    o.signal?.removeEventListener("abort", onAbort);
  };
  const cut = (why: string): void => {
    if (over) return;
    settled();
    o.onCut?.(why);
    o.translator.end(); // bills now, before anything below can be cut off with the invocation
    upstream.cancel(why).catch(() => {});
    chain?.cancel(why).catch(() => {});
    client?.fail(new Error(why));
  };
  const onAbort = (): void => cut("the client disconnected");

  // The upstream body, read only here: its errors and its silences are seen whatever the runtime does with them.
  // Cancelled when the translator terminated (its end has fired) or the chain was cancelled: stop reading Bedrock.
  const source = relayReader(upstream, {
    onChunk: () => void (lastRead = Date.now()),
    onError: (err) => cut(`reading the upstream body failed: ${err instanceof Error ? err.message : String(err)}`),
    onCancel: () => cut("the stream was cancelled"),
  }).stream;
  const translated = source.pipeThrough(o.translator);
  chain = (o.after ? translated.pipeThrough(o.after) : translated).getReader();
  // The client's end: its cancel is seen here, whether or not the runtime runs the transformers' cancel hooks.
  client = relayReader(chain, { onError: () => cut("the stream failed"), onCancel: () => cut("the client cancelled the response") });
  const body = client.stream;

  // One timer per stream, re-armed for the time left rather than on every chunk.
  const check = (): void => {
    timer = undefined;
    if (over) return;
    const idle = Date.now() - lastRead;
    if (idle >= o.idleMs) return cut(`no upstream bytes for ${o.idleMs} ms`);
    timer = setTimeout(check, o.idleMs - idle);
  };
  timer = setTimeout(check, o.idleMs);
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener("abort", onAbort, { once: true });
  return { body, settled };
}
