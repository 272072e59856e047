import { type AwsService, AwsServiceError, ProtocolError } from "../../errors.ts";
import { errorKind } from "../../aws/error-codes.ts";
import type { EventStreamMessage } from "./decoder.ts";
import type { HeaderValue } from "./headers.ts";

/** An `event` message: its `:event-type` (e.g. `initial-response`, `SubscribeToShardEvent`) and JSON payload bytes. */
export interface StreamEvent {
  eventType: string;
  payload: Uint8Array;
}

const utf8 = new TextDecoder();

/**
 * What a message means: an `event` is returned; an `exception` (a modelled service error sent inside
 * the stream, e.g. `ResourceInUseException`) or an `error` (an unmodelled one, `:error-code`) is
 * thrown as the AwsServiceError the same failure would have been as an HTTP answer — its code from
 * the header, its message from the payload, retryable by the same table. Anything else is a
 * ProtocolError.
 */
export function interpretMessage(message: EventStreamMessage, service: AwsService, operation: string): StreamEvent {
  const messageType = stringHeader(message.headers, ":message-type");
  if (messageType === "event") {
    const eventType = stringHeader(message.headers, ":event-type");
    if (eventType === undefined) throw new ProtocolError(`${service} ${operation}: event message without :event-type`);
    return { eventType, payload: message.payload };
  }
  if (messageType === "exception") {
    const code = stringHeader(message.headers, ":exception-type") ?? "UnknownException";
    throw serviceError(service, operation, code, payloadMessage(message.payload) ?? code);
  }
  if (messageType === "error") {
    const code = stringHeader(message.headers, ":error-code") ?? "UnknownError";
    throw serviceError(service, operation, code, stringHeader(message.headers, ":error-message") ?? code);
  }
  throw new ProtocolError(`${service} ${operation}: event stream message of unknown type ${JSON.stringify(messageType ?? null)}`);
}

function stringHeader(headers: Map<string, HeaderValue>, name: string): string | undefined {
  const header = headers.get(name);
  return header?.type === "string" ? header.value : undefined;
}

/** The stream itself was answered with HTTP 200: the kind comes from the code alone. */
function serviceError(service: AwsService, operation: string, awsCode: string, message: string): AwsServiceError {
  const kind = errorKind(awsCode, 200);
  return new AwsServiceError({ service, operation, awsCode, httpStatus: 200, retryable: kind !== "fatal", throttling: kind === "throttling" }, message);
}

function payloadMessage(payload: Uint8Array): string | undefined {
  if (payload.length === 0) return undefined;
  const text = utf8.decode(payload);
  try {
    const parsed = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    if (typeof message === "string" && message !== "") return message;
  } catch {
    // Not JSON: quote a short excerpt.
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
