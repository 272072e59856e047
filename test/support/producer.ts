import { inject } from "vitest";
import { Producer } from "../../src/producer/producer.ts";
import type { FlushStats, ProducerOptions } from "../../src/producer/options.ts";
import { testCredentials } from "./clients.ts";

/** A producer pointed at the local Kinesis (or `endpoint`), with test credentials. */
export function localProducer<T>(streamName: string, options: Partial<ProducerOptions<T>> = {}): Producer<T> {
  return new Producer<T>({
    streamName,
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...options,
  });
}

/** Counts requests per Kinesis operation (from `X-Amz-Target`), and lets a test hold or fake answers. */
export interface RecordingFetch {
  fetch: typeof fetch;
  count(operation: string): number;
  /** Bodies of the requests for one operation, parsed. */
  bodies(operation: string): Array<Record<string, unknown>>;
}

export type Interceptor = (operation: string, body: Record<string, unknown>) => Promise<Response | undefined> | Response | undefined;

export function recordingFetch(intercept?: Interceptor): RecordingFetch {
  const seen: Array<{ operation: string; body: Record<string, unknown> }> = [];
  const wrapped: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const target = headers.get("x-amz-target") ?? "";
    const operation = target.slice(target.lastIndexOf(".") + 1);
    // PutRecords bodies are UTF-8 bytes (the producer writes them directly), other requests strings.
    const raw = init?.body ?? "{}";
    const body = JSON.parse(raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw)) as Record<string, unknown>;
    seen.push({ operation, body });
    // Like a real fetch, an intercepted one gives up when its signal aborts.
    const signal = init?.signal ?? undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    const fake = await Promise.race([intercept?.(operation, body), aborted]);
    return fake ?? globalThis.fetch(input, init);
  };
  return {
    fetch: wrapped,
    count: (operation) => seen.filter((s) => s.operation === operation).length,
    bodies: (operation) => seen.filter((s) => s.operation === operation).map((s) => s.body),
  };
}

/** An AWS-shaped JSON error answer. */
export function awsError(status: number, type: string, message: string): Response {
  return new Response(JSON.stringify({ __type: type, message }), {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "test-request" },
  });
}

/** Collects what `afterFlush` reports. */
export function flushLog(): { stats: FlushStats[]; afterFlush: (stats: FlushStats) => void } {
  const stats: FlushStats[] = [];
  return { stats, afterFlush: (s) => void stats.push(s) };
}

/** Settles to "pending" if the promise has not settled within a few event-loop turns. */
export async function promiseState(promise: Promise<unknown>, ms = 20): Promise<"pending" | "resolved" | "rejected"> {
  return Promise.race([
    promise.then(
      () => "resolved" as const,
      () => "rejected" as const,
    ),
    new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);
}
