// `npm run smoke -- https://gateway.example.com`: checks a deployed gateway end to end (health, auth refusals,
// models, Messages and Chat streaming, an image, a video submit and status). Environment:
//   SMOKE_ACCESS_CLIENT_ID / SMOKE_ACCESS_CLIENT_SECRET   Access service token for gateway paths
//   BREAKWATER_ACCESS_CLIENT_ID / _SECRET                 Access service token for admin paths (the admin CLI's)
//   SMOKE_API_KEY                                         a key to test with; otherwise BREAKWATER_MASTER_KEY makes
//   BREAKWATER_MASTER_KEY                                 a short-lived one and deletes it at the end
//   SMOKE_MODEL (claude-haiku-4-5), SMOKE_IMAGE_MODEL (stable-image-core), SMOKE_VIDEO_MODEL (nova-reel)
// `--skip-video` leaves out the video job (it is billed: about $0.48 for 6 seconds of Nova Reel).
import { runSmoke } from "./lib/deploy/smoke-checks.ts";

async function main(): Promise<void> {
  const url = process.argv.slice(2).find((a) => !a.startsWith("--"));
  if (!url || !/^https?:\/\//.test(url)) {
    console.error("Usage: npm run smoke -- https://gateway.example.com [--skip-video]");
    process.exit(2);
  }
  const env = process.env;
  const token = (id?: string, secret?: string) => (id && secret ? { id, secret } : undefined);
  const results = await runSmoke({
    baseUrl: url,
    clientAccess: token(env.SMOKE_ACCESS_CLIENT_ID, env.SMOKE_ACCESS_CLIENT_SECRET),
    adminAccess: token(env.BREAKWATER_ACCESS_CLIENT_ID, env.BREAKWATER_ACCESS_CLIENT_SECRET),
    apiKey: env.SMOKE_API_KEY || undefined,
    masterKey: env.BREAKWATER_MASTER_KEY || undefined,
    chatModel: env.SMOKE_MODEL || "claude-haiku-4-5",
    // Nova Canvas reached its end of life (2026-09-30); Stable Image Core is served at the edge.
    imageModel: env.SMOKE_IMAGE_MODEL || "stable-image-core",
    videoModel: env.SMOKE_VIDEO_MODEL || "nova-reel",
    skipVideo: process.argv.includes("--skip-video"),
    log: (line) => console.log(line),
  });
  const failed = results.filter((r) => r.outcome === "fail").length;
  const notServed = results.filter((r) => r.outcome === "not served").length;
  console.log(`smoke: ${results.filter((r) => r.outcome === "pass").length} passed, ${failed} failed, ${notServed} not served`);
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(`Smoke test could not run: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
