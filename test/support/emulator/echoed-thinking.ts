// Thinking blocks a client sends back in an assistant turn are checked the way Bedrock (Anthropic's validator) does:
// a `thinking` block must carry the signature issued for its text, a `redacted_thinking` block must carry data that
// was handed out. Only blocks this emulator produced pass, so a gateway test can prove it relays them unchanged
// across turns (a gateway that rewrites, trims or drops the signature gets the same 400 a real one would).
import { validation } from "./errors.ts";
import { thinkingSignature } from "./plan.ts";
import type { ClaudeRequest } from "./claude.ts";

/** `issuedRedactedData`: every redacted_thinking `data` the emulator has emitted since the last reset. */
export function validateEchoedThinking(body: ClaudeRequest, issuedRedactedData: ReadonlySet<string>): void {
  body.messages.forEach((message, i) => {
    if (message.role !== "assistant" || typeof message.content === "string") return;
    message.content.forEach((block, j) => {
      if (block.type === "thinking") {
        const valid = typeof block.thinking === "string" && block.signature === thinkingSignature(block.thinking);
        if (!valid) throw validation(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
      } else if (block.type === "redacted_thinking") {
        const valid = typeof block.data === "string" && block.data !== "" && issuedRedactedData.has(block.data);
        if (!valid) throw validation(`messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`);
      }
    });
  });
}
