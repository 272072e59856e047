/**
 * The node:http2 transport (src/node/http2-fetch.ts) and SubscribeClient against a loopback HTTP/2
 * server written here (no TLS: HTTP/2 prior knowledge), for what kinesis-local cannot show:
 * flow control reaching the sender, error answers, silence, and aborts.
 */
import { createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, AwsServiceError, NetworkError } from "../../src/errors.ts";
import { SubscribeClient } from "../../src/kinesis/subscribe.ts";
import { createHttp2Fetch } from "../../src/node/http2-fetch.ts";
import { testCredentials } from "../support/clients.ts";
import { eventMessage } from "../support/eventstream-frames.ts";
import { closedLoopbackEndpoint } from "../support/closed-port.ts";

let server: Http2Server | undefined;
const sessions = new Set<ServerHttp2Session>();
const sockets = new Set<Socket>();

afterEach(async () => {
  const closing = server;
  server = undefined;
  // The client's pooled session stays connected; close() would wait for it forever.
  for (const session of sessions) session.destroy();
  sessions.clear();
  sockets.clear();
  if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()));
});

async function listen(onStream: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void): Promise<string> {
  server = createServer();
  server.on("session", (session) => sessions.add(session));
  server.on("connection", (socket: Socket) => sockets.add(socket));
  server.on("stream", (stream, headers) => onStream(stream, headers as Record<string, unknown>));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(endpoint: string, extra: { subscriptionIdleTimeout?: number } = {}): SubscribeClient {
  return new SubscribeClient({ endpoint, region: "us-east-1", credentials: testCredentials, subscribeFetch: createHttp2Fetch(), ...extra });
}

const bigEvent = (n: number): Uint8Array =>
  eventMessage("SubscribeToShardEvent", {
    Records: [{ Data: btoa("x".repeat(48 * 1024)), PartitionKey: "p", SequenceNumber: String(n), ApproximateArrivalTimestamp: 1 }],
    ContinuationSequenceNumber: String(n),
    MillisBehindLatest: 0,
  });

describe("SubscribeToShard over node:http2", () => {
  it("sends a signed POST with the SubscribeToShard target and the subscription in its JSON body", async () => {
    let seen: { headers: Record<string, unknown>; body: string } | undefined;
    const endpoint = await listen((stream, headers) => {
      let body = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      stream.on("end", () => {
        seen = { headers, body };
        stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
        stream.end(eventMessage("SubscribeToShardEvent", { Records: [], ContinuationSequenceNumber: "7", MillisBehindLatest: 0 }));
      });
    });
    const subscription = await client(endpoint).subscribeRaw("arn:consumer", "shardId-000000000001", { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "5" });
    const events = [];
    for await (const event of subscription) events.push(event);
    expect(events).toEqual([{ records: [], continuationSequenceNumber: "7", millisBehindLatest: 0 }]);
    expect(seen!.headers[":method"]).toBe("POST");
    expect(seen!.headers["x-amz-target"]).toBe("Kinesis_20131202.SubscribeToShard");
    expect(String(seen!.headers["authorization"])).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/kinesis\/aws4_request/);
    expect(JSON.parse(seen!.body)).toEqual({
      ConsumerARN: "arn:consumer",
      ShardId: "shardId-000000000001",
      StartingPosition: { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: "5" },
    });
  });

  it("an unread subscription stops the sender: HTTP/2 flow control holds it to a window's worth, and reading resumes it in order", async () => {
    const total = 200; // ~13 MiB of events
    let accepted = 0;
    let blocked: (() => void) | undefined;
    const senderBlocked = new Promise<void>((resolve) => (blocked = resolve));
    const endpoint = await listen((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
      void (async () => {
        for (let n = 0; n < total; n++) {
          const bytes = bigEvent(n);
          accepted += bytes.length;
          if (!stream.write(bytes)) {
            blocked?.();
            await new Promise((resolve) => stream.once("drain", resolve));
          }
        }
        stream.end();
      })();
    });
    const subscription = await client(endpoint).subscribeRaw("arn:consumer", "shard", { type: "LATEST" });
    const first = await subscription.next();
    expect(first.done).toBe(false);
    await senderBlocked;
    // Give an unbounded reader every chance to drain the sender while this one reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(accepted).toBeLessThan(1024 * 1024);
    const sequences = [(first.value as { continuationSequenceNumber: string }).continuationSequenceNumber];
    for await (const event of subscription) sequences.push(event.continuationSequenceNumber!);
    expect(sequences).toEqual(Array.from({ length: total }, (_, n) => String(n)));
  });

  it("a refused connection rejects subscribe() with a retryable NetworkError naming ECONNREFUSED", async () => {
    const failure = await client(await closedLoopbackEndpoint()).subscribeRaw("arn:consumer", "shard", { type: "LATEST" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).retryable).toBe(true);
    expect((failure as NetworkError).message).toMatch(/SubscribeToShard .*ECONNREFUSED/);
  });

  it("an HTTP error answer rejects subscribe() with its AwsServiceError", async () => {
    const endpoint = await listen((stream) => {
      stream.respond({ ":status": 400, "content-type": "application/x-amz-json-1.1" });
      stream.end(JSON.stringify({ __type: "ResourceInUseException", message: "subscription exists" }));
    });
    const failure = await client(endpoint).subscribeRaw("arn:consumer", "shard", { type: "LATEST" }).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(AwsServiceError);
    expect((failure as AwsServiceError).awsCode).toBe("ResourceInUseException");
    expect((failure as AwsServiceError).httpStatus).toBe(400);
  });

  it("a subscription that sends nothing for the idle timeout fails with a retryable NetworkError", async () => {
    const endpoint = await listen((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
    });
    const subscription = await client(endpoint, { subscriptionIdleTimeout: 0.2 }).subscribeRaw("arn:consumer", "shard", { type: "LATEST" });
    const failure = await subscription.next().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).retryable).toBe(true);
    expect((failure as NetworkError).message).toMatch(/sent nothing for 200 ms/);
  });

  it("a connection lost mid-message fails the iteration with a retryable NetworkError, not a clean end", async () => {
    const endpoint = await listen((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
      stream.write(bigEvent(1).subarray(0, 100), () => {
        for (const socket of sockets) socket.destroy();
      });
    });
    const subscription = await client(endpoint).subscribeRaw("arn:consumer", "shard", { type: "LATEST" });
    await expect(subscription.next()).rejects.toBeInstanceOf(NetworkError);
  });

  it("aborting the caller's signal ends the subscription with the signal's reason and resets the stream", async () => {
    let serverSawClose: (() => void) | undefined;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const endpoint = await listen((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream" });
      stream.on("close", () => serverSawClose?.());
    });
    const abort = new AbortController();
    const subscription = await client(endpoint).subscribeRaw("arn:consumer", "shard", { type: "LATEST" }, { signal: abort.signal });
    const pending = subscription.next();
    abort.abort(new AbortedError("stop"));
    await expect(pending).rejects.toThrow("stop");
    await closed;
  });
});
