import { fetchImage, type FetchedImage } from "../util/fetch-image.ts";

const IMAGE_LIMITS = { maxBytes: 3_750_000, timeoutMs: 10_000 }; // Bedrock's per-image limit is 3.75 MB

/** Downloads each image URL a request names (in parallel, each once), for translators that need the bytes inline. */
export async function fetchImages(urls: string[]): Promise<Map<string, FetchedImage>> {
  const fetched = await Promise.all(urls.map((u, i) => fetchImage(u, IMAGE_LIMITS, `messages image ${i + 1}`)));
  return new Map(urls.map((u, i) => [u, fetched[i]!]));
}
