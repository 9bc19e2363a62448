// TranslationError: an OpenAI request the Converse translation cannot express for the chosen model. It is a
// GatewayError (400 invalid_request_error), so the app's error handler renders it as an OpenAI error whose `param`
// names the offending field — the client learns which part of its request to change, instead of getting a Bedrock
// ValidationException about a field it never sent.
//
// Kept apart from worker/protocols/openai/errors.ts (the Claude path's module, owned separately); both render the
// same way because both are GatewayErrors carrying `param`.

import { GatewayError } from "../../edge/errors.ts";

export class TranslationError extends GatewayError {
  /** Path of the offending request field, OpenAI style: "stop", "messages[2].tool_calls[0].function.arguments". */
  declare readonly param: string;

  constructor(param: string, message: string) {
    super(400, message, "invalid_request_error", undefined, param);
    this.name = "TranslationError";
  }
}
