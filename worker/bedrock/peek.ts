import { EventStreamDecoder, type EventStreamFrame } from "./eventstream.ts";

/**
 * Reads an event stream just far enough to decode its first frame, then hands back a stream that replays what was
 * read followed by the rest. Lets the gateway see a throttling exception that arrives as the very first frame (before
 * anything was sent to the client) and fail over, instead of reporting it in-stream.
 */
export async function peekFirstFrame(body: ReadableStream<Uint8Array>): Promise<{ first: EventStreamFrame | null; stream: ReadableStream<Uint8Array> }> {
  const reader = body.getReader();
  const decoder = new EventStreamDecoder();
  const seen: Uint8Array[] = [];
  let first: EventStreamFrame | null = null;
  let done = false;
  try {
    while (!first) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        break;
      }
      seen.push(r.value);
      first = decoder.push(r.value)[0] ?? null;
    }
  } catch {
    // A corrupt first frame or a broken connection: replay what we have and let the transcoder report it.
    first = null;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of seen) controller.enqueue(chunk);
      if (done) controller.close();
    },
    async pull(controller) {
      try {
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (err) {
        controller.error(err);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { first, stream };
}
