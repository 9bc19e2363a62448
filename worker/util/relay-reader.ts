// One pull-driven ReadableStream over a reader, with hooks for what a plain pipe hides: every chunk read, a read that
// failed, and the consumer cancelling. The stream guard (routes/stream-guard.ts) watches both ends of a streamed answer
// this way, and the frame transcoder's fallback for runtimes without `transformer.cancel` reports a disconnect with it.
// highWaterMark 0: nothing is read ahead of the consumer, so a slow client slows the read instead of filling memory.

export interface RelayHooks {
  /** After each chunk is read (before it is handed on). */
  onChunk?(): void;
  /** The read failed; the relayed stream errors with the same error afterwards. */
  onError?(err: unknown): void;
  /** The consumer cancelled; the reader is cancelled afterwards. */
  onCancel?(reason: unknown): void;
}

export interface Relay<T> {
  stream: ReadableStream<T>;
  /** Errors the relayed stream from outside (ignored once it has ended). */
  fail(reason: unknown): void;
}

export function relayReader<T>(reader: ReadableStreamDefaultReader<T>, hooks: RelayHooks = {}): Relay<T> {
  let controllerRef: ReadableStreamDefaultController<T> | undefined;
  const stream = new ReadableStream<T>(
    {
      start(controller) {
        controllerRef = controller;
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<T>;
        try {
          result = await reader.read();
        } catch (err) {
          hooks.onError?.(err);
          controller.error(err);
          return;
        }
        hooks.onChunk?.();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      cancel(reason) {
        hooks.onCancel?.(reason);
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  const fail = (reason: unknown): void => {
    try {
      controllerRef?.error(reason);
    } catch {
      // already closed, errored or cancelled
    }
  };
  return { stream, fail };
}
