export const ANTHROPIC_PING = 'event: ping\ndata: {"type": "ping"}\n\n';

/**
 * Passes SSE bytes through and, once the stream has started, sends a keep-alive (Anthropic's `ping` event by default;
 * OpenAI streams use an SSE comment) whenever it has been
 * silent for `intervalMs` (a thinking model can be quiet for a long time; idle connections get cut by proxies).
 * Chunks from the transcoder are whole events, so a ping never lands inside one.
 *
 * Per chunk this only records the time: one timer per stream checks for silence, instead of re-arming a timer on
 * every chunk (which showed up in the benchmark's profile).
 */
export function withPings(intervalMs: number, ping: string = ANTHROPIC_PING): TransformStream<Uint8Array, Uint8Array> {
  const PING = new TextEncoder().encode(ping);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastWrite = 0;
  let closed = false;
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined;
  const stop = () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const check = () => {
    timer = undefined;
    if (closed) return;
    const idle = Date.now() - lastWrite;
    if (idle >= intervalMs) {
      try {
        controllerRef?.enqueue(PING);
      } catch {
        return stop(); // the stream is closed or errored
      }
      lastWrite = Date.now();
      timer = setTimeout(check, intervalMs);
    } else {
      timer = setTimeout(check, intervalMs - idle);
    }
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    transform(chunk, controller) {
      controller.enqueue(chunk);
      lastWrite = Date.now();
      if (timer === undefined && !closed) timer = setTimeout(check, intervalMs);
    },
    flush() {
      stop();
    },
    cancel() {
      stop();
    },
  } as Transformer<Uint8Array, Uint8Array>);
}
