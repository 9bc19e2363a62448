import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { describe, expect, it } from "vitest";
import {
  bedrockErrorFromFrame,
  isCredentialError,
  readBedrockHttpError,
  retryAfterSeconds,
  toAnthropicError,
  type BedrockError,
} from "../../worker/bedrock/errors.ts";
import { EventStreamDecoder, type EventStreamFrame } from "../../worker/bedrock/eventstream.ts";
import { bedrockFixtureBytes } from "../support/fixtures.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const CORAL = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

function errorResponse(status: number, body: string, errorType?: string): Response {
  const headers = new Headers({ "content-type": "application/json" });
  if (errorType !== undefined) headers.set("x-amzn-ErrorType", errorType);
  return new Response(body, { status, headers });
}

function frame(headers: Record<string, string>, payload = ""): EventStreamFrame {
  const bytes = codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: "string", value: v }])) as any,
    body: fromUtf8(payload),
  });
  return new EventStreamDecoder().push(bytes)[0]!;
}

describe("readBedrockHttpError", () => {
  it("takes the name from x-amzn-ErrorType (cut at ':') and the message verbatim", async () => {
    const e = await readBedrockHttpError(
      errorResponse(429, '{"message":"Too many tokens, please wait before trying again."}', `ThrottlingException${CORAL}`),
    );
    expect(e).toEqual({ name: "ThrottlingException", message: "Too many tokens, please wait before trying again.", status: 429 });
  });

  it("cuts the header at ',' and keeps what follows '#'", async () => {
    expect((await readBedrockHttpError(errorResponse(400, "{}", "ValidationException,Other"))).name).toBe(
      "ValidationException",
    );
    expect(
      (await readBedrockHttpError(errorResponse(503, "{}", "com.amazonaws.bedrockruntime#ServiceUnavailableException:x")))
        .name,
    ).toBe("ServiceUnavailableException");
  });

  it("falls back to body code, then __type, then Unknown", async () => {
    expect((await readBedrockHttpError(errorResponse(404, '{"code":"ResourceNotFoundException","message":"m"}'))).name).toBe(
      "ResourceNotFoundException",
    );
    const byType = await readBedrockHttpError(
      errorResponse(503, '{"__type":"com.amazonaws.bedrockruntime#ServiceUnavailableException","Message":"Busy"}'),
    );
    expect(byType).toEqual({ name: "ServiceUnavailableException", message: "Busy", status: 503 });
    expect((await readBedrockHttpError(errorResponse(500, '{"message":"x"}'))).name).toBe("Unknown");
  });

  it("keeps InvalidSignatureException's long message byte for byte", async () => {
    const message =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/x%253A0/invoke\n'\n";
    const e = await readBedrockHttpError(
      errorResponse(403, JSON.stringify({ message }), "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"),
    );
    expect(e.name).toBe("InvalidSignatureException");
    expect(e.message).toBe(message);
    expect(isCredentialError(e)).toBe(true);
  });

  it("reads originalStatusCode from ModelErrorException bodies", async () => {
    const e = await readBedrockHttpError(
      errorResponse(424, '{"message":"model failed","originalStatusCode":529,"resourceName":"r"}', `ModelErrorException${CORAL}`),
    );
    expect(e).toEqual({ name: "ModelErrorException", message: "model failed", status: 424, originalStatusCode: 529 });
  });

  it("never throws on a non-JSON, empty or already-read body", async () => {
    const html = await readBedrockHttpError(new Response("<html>Bad Gateway</html>", { status: 502 }));
    expect(html).toEqual({ name: "Unknown", message: "<html>Bad Gateway</html>", status: 502 });

    const empty = await readBedrockHttpError(new Response(null, { status: 503, statusText: "Service Unavailable" }));
    expect(empty.status).toBe(503);
    expect(empty.message).toBe("Bedrock returned HTTP 503 Service Unavailable");

    const used = errorResponse(429, '{"message":"x"}', `ThrottlingException${CORAL}`);
    await used.text();
    const e = await readBedrockHttpError(used);
    expect(e.name).toBe("ThrottlingException");
    expect(e.status).toBe(429);

    const array = await readBedrockHttpError(errorResponse(400, "[1,2]"));
    expect(array.name).toBe("Unknown");
  });
});

describe("bedrockErrorFromFrame", () => {
  it("reads the throttlingException frame of the fixture", () => {
    const frames = new EventStreamDecoder().push(bedrockFixtureBytes("invoke-with-response-stream.throttling-exception.bin"));
    expect(bedrockErrorFromFrame(frames[3]!)).toEqual({
      name: "throttlingException",
      message: "Too many tokens, please wait before trying again.",
      status: 429,
    });
  });

  it("reads modelStreamErrorException with originalStatusCode", () => {
    const e = bedrockErrorFromFrame(
      frame(
        { ":message-type": "exception", ":exception-type": "modelStreamErrorException", ":content-type": "application/json" },
        '{"message":"Model stream error","originalStatusCode":500,"originalMessage":"boom"}',
      ),
    );
    expect(e).toEqual({ name: "modelStreamErrorException", message: "Model stream error", status: 424, originalStatusCode: 500 });
  });

  it("surfaces an exception payload without a message raw, like the AWS SDK", () => {
    const e = bedrockErrorFromFrame(frame({ ":message-type": "exception", ":exception-type": "weirdException" }, "not json"));
    expect(e).toEqual({ name: "weirdException", message: "not json", status: 500 });
  });

  it("reads :error-code / :error-message from an error frame", () => {
    const e = bedrockErrorFromFrame(
      frame({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "The request processing has failed." }),
    );
    expect(e).toEqual({ name: "InternalFailure", message: "The request processing has failed.", status: 500 });
  });

  it("reports an unrecognisable message type", () => {
    const e = bedrockErrorFromFrame(frame({ ":message-type": "bogus" }));
    expect(e.name).toBe("Unknown");
    expect(e.message).toContain("bogus");
  });
});

describe("toAnthropicError (BEDROCK_WIRE §7.4, Anthropic column)", () => {
  const row = (name: string, status: number, message = `${name} message`): BedrockError => ({ name, message, status });

  const httpRows: [BedrockError, number, string][] = [
    [row("ValidationException", 400), 400, "invalid_request_error"],
    [row("AccessDeniedException", 403), 403, "permission_error"],
    [row("InvalidSignatureException", 403), 401, "authentication_error"],
    [row("UnrecognizedClientException", 403), 401, "authentication_error"],
    [row("ResourceNotFoundException", 404), 404, "not_found_error"],
    [row("ThrottlingException", 429), 429, "rate_limit_error"],
    [row("ServiceQuotaExceededException", 400), 429, "rate_limit_error"],
    [row("ModelNotReadyException", 429), 529, "overloaded_error"],
    [row("ModelTimeoutException", 408), 504, "timeout_error"],
    [row("ModelErrorException", 424), 500, "api_error"],
    [row("ModelStreamErrorException", 424), 500, "api_error"],
    [row("InternalServerException", 500), 500, "api_error"],
    [row("ServiceUnavailableException", 503), 529, "overloaded_error"],
    [row("Unknown", 500), 500, "api_error"],
    [row("SomethingNewException", 500), 500, "api_error"],
    [row("SomethingNewException", 502), 500, "api_error"],
  ];
  for (const [e, status, type] of httpRows) {
    it(`HTTP ${e.name} ${e.status} → ${status} ${type}, message verbatim`, () => {
      expect(toAnthropicError(e)).toEqual({ status, type, message: e.message });
    });
  }

  const streamRows: [string, string][] = [
    ["throttlingException", "rate_limit_error"],
    ["serviceUnavailableException", "overloaded_error"],
    ["modelStreamErrorException", "api_error"],
    ["internalServerException", "api_error"],
    ["validationException", "invalid_request_error"],
    ["modelTimeoutException", "api_error"],
  ];
  for (const [name, type] of streamRows) {
    it(`in-stream ${name} → ${type}`, () => {
      const e: BedrockError = { name, message: `  ${name}: verbatim “text” `, status: 200 };
      const mapped = toAnthropicError(e);
      expect(mapped.type).toBe(type);
      expect(mapped.message).toBe(e.message);
    });
  }

  it("maps input-too-long validation messages to 413 request_too_large", () => {
    for (const message of [
      "Input is too long for requested model.",
      "prompt is too long: 215000 tokens > 200000 maximum",
      "The model returned the following errors: Too many input tokens.",
    ]) {
      expect(toAnthropicError(row("ValidationException", 400, message))).toEqual({
        status: 413,
        type: "request_too_large",
        message,
      });
      expect(toAnthropicError(row("validationException", 400, message)).type).toBe("request_too_large");
    }
  });

  it("keeps other validation messages (and the max_tokens context message) at 400", () => {
    for (const message of [
      "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.",
      "input length and `max_tokens` exceed context limit: 180000 + 64000 > 200000, decrease input length or `max_tokens` and try again",
    ]) {
      expect(toAnthropicError(row("ValidationException", 400, message))).toEqual({
        status: 400,
        type: "invalid_request_error",
        message,
      });
    }
  });

  it("does not treat 'Too many tokens' throttling as request_too_large", () => {
    expect(toAnthropicError(row("ThrottlingException", 429, "Too many tokens, please wait before trying again.")).type).toBe(
      "rate_limit_error",
    );
  });

  it("falls back to the HTTP status for unknown names with a clear 4xx status", () => {
    expect(toAnthropicError(row("Unknown", 400)).type).toBe("invalid_request_error");
    expect(toAnthropicError(row("Unknown", 429)).type).toBe("rate_limit_error");
  });
});

describe("retryAfterSeconds", () => {
  it("suggests a short wait for throttling and overload, nothing for client errors", () => {
    const throttled = retryAfterSeconds({ name: "ThrottlingException", message: "", status: 429 });
    expect(throttled).toBeGreaterThan(0);
    expect(throttled).toBeLessThan(60);
    expect(retryAfterSeconds({ name: "ServiceUnavailableException", message: "", status: 503 })).toBeGreaterThan(0);
    expect(retryAfterSeconds({ name: "ValidationException", message: "", status: 400 })).toBeUndefined();
    expect(retryAfterSeconds({ name: "AccessDeniedException", message: "", status: 403 })).toBeUndefined();
  });
});
