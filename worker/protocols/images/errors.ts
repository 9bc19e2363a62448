import { GatewayError } from "../../edge/errors.ts";

/** A request the client must fix: 400 in OpenAI's shape, naming the parameter at fault. */
export class ImageInputError extends GatewayError {
  constructor(param: string, message: string) {
    super(400, message, "invalid_request_error", undefined, param);
    this.name = "ImageInputError";
  }
}

/** Bedrock's content filter refused the prompt, an input image or every generated image (some arrive as HTTP 200). */
export class ContentFilterError extends GatewayError {
  constructor(message: string) {
    super(400, message, "invalid_request_error", undefined, undefined, "content_policy_violation");
    this.name = "ContentFilterError";
  }
}

/** Bedrock answered 200 with something that is neither images nor a refusal we know. */
export class ImageResponseError extends GatewayError {
  constructor(message: string) {
    super(502, `The image model returned an unreadable answer: ${message}`, "server_error");
    this.name = "ImageResponseError";
  }
}
