import { describe, expect, it } from "vitest";
import { parseAwsError } from "../src/aws/parse-error.ts";
import { AwsServiceError } from "../src/errors.ts";

function parse(status: number, body: string, headers: Record<string, string> = {}, service: "kinesis" | "dynamodb" = "kinesis"): AwsServiceError {
  return parseAwsError(service, "TestOp", { status, headers: new Headers(headers), body });
}

describe("parseAwsError", () => {
  it("reads a bare __type and a lower-case message", () => {
    const error = parse(400, '{"__type":"ResourceNotFoundException","message":"Stream s under account 1 not found."}');
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      service: "kinesis",
      operation: "TestOp",
      awsCode: "ResourceNotFoundException",
      httpStatus: 400,
      retryable: false,
      throttling: false,
    });
    expect(error.message).toBe("kinesis TestOp: ResourceNotFoundException (HTTP 400): Stream s under account 1 not found.");
  });

  it("strips the namespace from a DynamoDB __type and reads a capitalised Message", () => {
    const error = parse(
      400,
      '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Message":"The conditional request failed"}',
      {},
      "dynamodb",
    );
    expect(error.awsCode).toBe("ConditionalCheckFailedException");
    expect(error.message).toContain("The conditional request failed");
    expect(error.retryable).toBe(false);
  });

  it("prefers `message` over `Message` when both are present", () => {
    expect(parse(400, '{"__type":"X","message":"lower","Message":"upper"}').message).toMatch(/: lower$/);
  });

  it("classifies throttling codes as retryable throttling", () => {
    for (
      const body of [
        '{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}',
        '{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}',
        '{"__type":"LimitExceededException","message":"Rate exceeded for stream"}',
      ]
    ) {
      expect(parse(400, body)).toMatchObject({ retryable: true, throttling: true });
    }
  });

  it("reads the code from x-amzn-errortype, with or without the `:http://...` suffix", () => {
    const plain = parse(400, "", { "x-amzn-errortype": "ExpiredIteratorException" });
    expect(plain.awsCode).toBe("ExpiredIteratorException");
    const suffixed = parse(400, '{"message":"slow down"}', {
      "x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/",
    });
    expect(suffixed).toMatchObject({ awsCode: "ThrottlingException", throttling: true, retryable: true });
    expect(suffixed.message).toMatch(/: slow down$/);
  });

  it("prefers the body's __type over the header", () => {
    expect(parse(400, '{"__type":"ValidationException"}', { "x-amzn-errortype": "SomethingElse" }).awsCode).toBe("ValidationException");
  });

  it("turns an empty body into a code from the status and says the body was empty", () => {
    const error = parse(500, "");
    expect(error).toMatchObject({ awsCode: "InternalFailure", httpStatus: 500, retryable: true, throttling: false });
    expect(error.message).toContain("HTTP 500 with an empty body");
    expect(parse(503, "").awsCode).toBe("ServiceUnavailable");
    expect(parse(413, "")).toMatchObject({ awsCode: "RequestEntityTooLarge", retryable: false });
  });

  it("turns an HTML page into a tag-free message", () => {
    const error = parse(502, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>", {
      "content-type": "text/html",
    });
    expect(error).toMatchObject({ awsCode: "BadGateway", retryable: true });
    expect(error.message).toContain("502 Bad Gateway 502 Bad Gateway");
    expect(error.message).not.toContain("<");
  });

  it("shortens a long non-JSON body", () => {
    const error = parse(500, "x".repeat(5000));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain("…");
  });

  it("treats explicit JSON nulls as absent", () => {
    const nulls = parse(500, '{"__type":null,"message":null,"Message":"the real message"}', { "x-amzn-errortype": "InternalFailure" });
    expect(nulls.awsCode).toBe("InternalFailure");
    expect(nulls.message).toMatch(/: the real message$/);
    const allNull = parse(400, '{"__type":null,"code":null,"message":null}');
    expect(allNull).toMatchObject({ awsCode: "BadRequest", retryable: false });
    expect(allNull.item).toBeUndefined();
    expect(parse(400, '{"__type":"ConditionalCheckFailedException","Item":null}').item).toBeUndefined();
  });

  it("judges unknown codes by status: 5xx transient, 429 throttling, other 4xx fatal", () => {
    expect(parse(500, '{"__type":"BrandNewFailure"}')).toMatchObject({ awsCode: "BrandNewFailure", retryable: true, throttling: false });
    expect(parse(429, '{"__type":"BrandNewFailure"}')).toMatchObject({ retryable: true, throttling: true });
    expect(parse(400, '{"__type":"BrandNewFailure"}')).toMatchObject({ retryable: false, throttling: false });
    expect(parse(418, "")).toMatchObject({ awsCode: "Http418", retryable: false });
  });

  it("keeps known fatal codes fatal even under a 5xx status", () => {
    expect(parse(500, '{"__type":"ValidationException"}').retryable).toBe(false);
    expect(parse(500, '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}').retryable).toBe(false);
  });

  it("reads `code` / `Code` fields when there is no __type", () => {
    expect(parse(400, '{"code":"AccessDeniedException","message":"no"}').awsCode).toBe("AccessDeniedException");
    expect(parse(400, '{"Code":"UnrecognizedClientException","Message":"no"}').awsCode).toBe("UnrecognizedClientException");
  });

  it("carries the request id from x-amzn-RequestId or x-amz-request-id", () => {
    expect(parse(400, "{}", { "x-amzn-RequestId": "req-1" }).requestId).toBe("req-1");
    expect(parse(400, "{}", { "x-amz-request-id": "req-2" }).requestId).toBe("req-2");
    expect(parse(400, "{}").requestId).toBeUndefined();
  });

  it("carries DynamoDB's current Item on a failed condition", () => {
    const error = parse(
      400,
      '{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"ref":{"S":"a/b"}}}',
      {},
      "dynamodb",
    );
    expect(error.item).toEqual({ ref: { S: "a/b" } });
  });

  it("survives a truncated JSON body", () => {
    const error = parse(500, '{"__type":"InternalFail');
    expect(error).toMatchObject({ awsCode: "InternalFailure", retryable: true });
  });
});
