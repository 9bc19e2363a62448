const PING = new TextEncoder().encode('event: ping\ndata: {"type": "ping"}\n\n');

/**
 * Passes SSE bytes through and, once the stream has started, sends Anthropic's `ping` event whenever it has been
 * silent for `intervalMs` (a thinking model can be quiet for a long time; idle connections get cut by proxies).
 * Chunks from the transcoder are whole events, so a ping never lands inside one.
 */
export function withPings(intervalMs: number): TransformStream<Uint8Array, Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined;
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    stop();
    timer = setTimeout(() => {
      try {
        controllerRef?.enqueue(PING);
        arm();
      } catch {
        stop(); // the stream is closed or errored
      }
    }, intervalMs);
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    transform(chunk, controller) {
      controller.enqueue(chunk);
      arm();
    },
    flush() {
      stop();
    },
    cancel() {
      stop();
    },
  } as Transformer<Uint8Array, Uint8Array>);
}
