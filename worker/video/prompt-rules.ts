/**
 * Nova Reel's prompt rules as Rockport enforced them: negation words are refused (Nova Reel tends to render what a
 * prompt says it should not contain; such words belong nowhere in its prompts), and camera terms in the middle of a
 * prompt earn a warning (Nova Reel follows camera direction best at the start or the end). Pure.
 */
const NEGATIONS = new Set([
  "no", "not", "never", "without", "avoid", "dont", "cant", "wont", "isnt", "doesnt", "shouldnt", "arent", "wasnt",
  "werent", "wouldnt", "couldnt", "hasnt", "havent", "hadnt", "neednt",
]);
const CAMERA_PHRASES = ["following shot", "static shot"];
const CAMERA_WORDS = ["dolly", "pan", "tilt", "track", "orbit", "zoom"];

/** The first negation word in the prompt (after dropping apostrophes), or null. */
export function negationWord(prompt: string): string | null {
  const words = prompt.replace(/['’]/g, "").toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.find((w) => NEGATIONS.has(w)) ?? null;
}

/**
 * The camera term found between the first and the last separator (`,` or `.`), when the prompt has at least two;
 * null when the camera direction sits at the start or the end (or there is none).
 */
export function cameraTermInMiddle(prompt: string): string | null {
  const first = prompt.search(/[,.]/);
  const last = Math.max(prompt.lastIndexOf(","), prompt.lastIndexOf("."));
  if (first < 0 || last <= first) return null;
  const middle = prompt.slice(first + 1, last).toLowerCase();
  for (const p of CAMERA_PHRASES) if (middle.includes(p)) return p;
  for (const w of CAMERA_WORDS) if (new RegExp(`\\b${w}\\b`).test(middle)) return w;
  return null;
}
