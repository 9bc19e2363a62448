// One error type for every OpenAI-request translation problem (Claude path and Converse path alike): a 400
// naming the request field at fault.
export { TranslationError } from "../openai/errors.ts";
