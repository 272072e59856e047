import { Agent, createServer, type IncomingMessage, type OutgoingHttpHeaders, request as httpRequest, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ErrorBodyStyle,
  type FabricatedResponse,
  type FailedEntry,
  failedEntry,
  mulberry32,
  type RecordErrorCode,
  type RequestFacts,
  requestFacts,
  requestIdFor,
  serverErrorResponse,
  serviceOf,
  spliceFailedEntries,
  type ThrottleCode,
  throttleResponse,
} from "./fault-responses.ts";

/**
 * An HTTP proxy in front of a local Kinesis or DynamoDB server that injects the failures no local
 * server produces: throttling, per-record PutRecords failures, 5xx, connection resets, latency and
 * truncated bodies. Every random choice comes from one seeded PRNG, so a seed replays a run exactly
 * (for requests that arrive in the same order). Backends do not check signatures, which is what lets
 * the proxy rewrite a PutRecords body without re-signing it.
 */

export type Fault =
  /** HTTP 400 with the service's throttling body (default ProvisionedThroughputExceededException). */
  | { kind: "throttle"; code?: ThrottleCode }
  /** A 5xx (or any status) with an empty, JSON (InternalFailure / ServiceUnavailable) or HTML body. */
  | { kind: "http-error"; status: number; body: ErrorBodyStyle }
  /** Destroy the connection before the backend sees the request. */
  | { kind: "reset-before" }
  /** Forward the request (the backend acts on it), then destroy the connection instead of answering. */
  | { kind: "reset-after" }
  /** Wait `ms` before forwarding. Adds to whatever other fault fires. */
  | { kind: "latency"; ms: number }
  /** Forward, then announce the full Content-Length but send only part of the body and cut the connection. */
  | { kind: "truncate" }
  /**
   * PutRecords only: fail each record with probability `rate`. Failed records are removed from the
   * forwarded request (so the backend never stores them) and spliced back into the answer as failures.
   */
  | { kind: "put-records-failures"; rate: number; errorCode?: RecordErrorCode | "mixed" };

export type FaultKind = Fault["kind"];

export interface FaultRule {
  /** `PutRecords` or `Kinesis_20131202.PutRecords`; absent matches every request. */
  operation?: string;
  /** Fire only on the Nth matching request (1-based). */
  nth?: number;
  /** Fire on each of the first N matching requests. */
  first?: number;
  /** Fire with this probability (after `nth`/`first`, if given, allow it). Default 1. */
  probability?: number;
  fault: Fault;
}

export interface ProxyStats {
  requests: number;
  faults: number;
  byOperation: Record<string, { requests: number; faults: Partial<Record<FaultKind, number>> }>;
  /** Per request, in arrival order: the operation and the faults injected into it. */
  log: Array<{ operation: string; faults: FaultKind[] }>;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: point a client here instead of at the target. */
  endpoint: string;
  /** Replace the rules; their match counters start again from zero. The PRNG continues. */
  setRules(rules: readonly FaultRule[]): void;
  stats(): ProxyStats;
  close(): Promise<void>;
}

interface ActiveRule {
  rule: FaultRule;
  matches: number;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection", "upgrade"]);

function copyHeaders(headers: IncomingMessage["headers"]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

export async function startFaultProxy(options: { target: string; seed: number; rules?: readonly FaultRule[] }): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = mulberry32(options.seed);
  const agent = new Agent({ keepAlive: true });
  let rules: ActiveRule[] = [];
  const setRules = (next: readonly FaultRule[]): void => {
    rules = next.map((rule) => ({ rule, matches: 0 }));
  };
  setRules(options.rules ?? []);
  const stats: ProxyStats = { requests: 0, faults: 0, byOperation: {}, log: [] };

  /** Count every matching rule, then pick latency (additive) and at most one other fault. */
  function decide(fullTarget: string, operation: string): Fault[] {
    const chosen: Fault[] = [];
    let exclusiveChosen = false;
    for (const active of rules) {
      const { rule } = active;
      if (rule.operation !== undefined && rule.operation !== operation && rule.operation !== fullTarget) continue;
      active.matches++;
      const isLatency = rule.fault.kind === "latency";
      if (!isLatency && exclusiveChosen) continue;
      if (rule.nth !== undefined && active.matches !== rule.nth) continue;
      if (rule.first !== undefined && active.matches > rule.first) continue;
      if (rule.probability !== undefined && !(random() < rule.probability)) continue;
      chosen.push(rule.fault);
      if (!isLatency) exclusiveChosen = true;
    }
    return chosen;
  }

  function record(operation: string, injected: FaultKind[]): void {
    stats.requests++;
    const entry = (stats.byOperation[operation] ??= { requests: 0, faults: {} });
    entry.requests++;
    for (const kind of injected) {
      stats.faults++;
      entry.faults[kind] = (entry.faults[kind] ?? 0) + 1;
    }
    stats.log.push({ operation, faults: injected });
  }

  function forward(req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          agent,
          headers: { ...copyHeaders(req.headers), host: target.host, "content-length": String(body.length) },
        },
        resolve,
      );
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  }

  function send(res: ServerResponse, fabricated: FabricatedResponse): void {
    res.writeHead(fabricated.status, { ...fabricated.headers, "content-length": String(Buffer.byteLength(fabricated.body)) });
    res.end(fabricated.body);
  }

  function sendBuffered(res: ServerResponse, backend: IncomingMessage, body: Buffer): void {
    res.writeHead(backend.statusCode ?? 502, { ...copyHeaders(backend.headers), "content-length": String(body.length) });
    res.end(body);
  }

  /** Resolves after `ms`, or early if the client hangs up (an aborted or timed-out attempt). */
  function delay(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        res.off("close", done);
        resolve();
      }
      res.once("close", done);
    });
  }

  /** Which records of a PutRecords request to fail, drawn now so the PRNG order follows arrival order. */
  function chooseFailures(parsed: unknown, fault: Extract<Fault, { kind: "put-records-failures" }>, facts: RequestFacts): Map<number, FailedEntry> {
    const failed = new Map<number, FailedEntry>();
    const records = (parsed as { Records?: unknown } | undefined)?.Records;
    if (!Array.isArray(records)) return failed;
    for (let i = 0; i < records.length; i++) {
      if (!(random() < fault.rate)) continue;
      const mixed = random() < 0.5 ? "ProvisionedThroughputExceededException" : "InternalFailure";
      const code = fault.errorCode === "mixed" ? mixed : (fault.errorCode ?? "ProvisionedThroughputExceededException");
      failed.set(i, failedEntry(code, facts));
    }
    return failed;
  }

  /** Forward only the records not chosen to fail, then splice the failures back in at their positions. */
  async function putRecordsWithFailures(
    req: IncomingMessage,
    res: ServerResponse,
    request: { Records: unknown[] },
    failed: ReadonlyMap<number, FailedEntry>,
    requestId: string,
  ): Promise<void> {
    const records = request.Records;
    if (failed.size === records.length) {
      return send(res, {
        status: 200,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId },
        body: JSON.stringify({ FailedRecordCount: failed.size, Records: records.map((_, i) => failed.get(i)) }),
      });
    }
    const kept = records.filter((_, i) => !failed.has(i));
    const backend = await forward(req, Buffer.from(JSON.stringify({ ...request, Records: kept })));
    const answer = await readBody(backend);
    if (backend.statusCode !== 200) return sendBuffered(res, backend, answer);
    const spliced = spliceFailedEntries(JSON.parse(answer.toString("utf8")) as Record<string, unknown>, records.length, failed);
    return sendBuffered(res, backend, Buffer.from(JSON.stringify(spliced)));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const fullTarget = String(req.headers["x-amz-target"] ?? "");
    const dot = fullTarget.lastIndexOf(".");
    const operation = dot >= 0 ? fullTarget.slice(dot + 1) : fullTarget || "(none)";
    const service = serviceOf(fullTarget);
    const parsed = parseJson(body);
    const facts = requestFacts(parsed);
    const faults = decide(fullTarget, operation);
    let main = faults.find((fault) => fault.kind !== "latency");
    let failures = new Map<number, FailedEntry>();
    if (main?.kind === "put-records-failures") {
      // Only PutRecords has records to fail; a choice of none is no fault at all.
      if (operation === "PutRecords") failures = chooseFailures(parsed, main, facts);
      if (failures.size === 0) main = undefined;
    }
    const latencies = faults.filter((fault): fault is Extract<Fault, { kind: "latency" }> => fault.kind === "latency");
    // Recorded before answering, so the stats are final by the time the client has its response.
    record(operation, [...latencies.map(() => "latency" as const), ...(main === undefined ? [] : [main.kind])]);
    const requestId = requestIdFor(options.seed, stats.requests);

    for (const latency of latencies) await delay(latency.ms, res);
    // The client hung up while we delayed it (timeout or abort): nothing left to answer.
    if (res.destroyed || req.socket.destroyed) return;

    switch (main?.kind) {
      case "throttle":
        return send(res, throttleResponse(service, main.code ?? "ProvisionedThroughputExceededException", facts, requestId));
      case "http-error":
        return send(res, serverErrorResponse(service, main.status, main.body, requestId));
      case "put-records-failures":
        return putRecordsWithFailures(req, res, parsed as { Records: unknown[] }, failures, requestId);
      case "reset-before":
        req.socket.destroy();
        return;
      case "reset-after": {
        const backend = await forward(req, body);
        await readBody(backend);
        req.socket.destroy();
        return;
      }
      case "truncate": {
        const backend = await forward(req, body);
        const answer = await readBody(backend);
        const sent = answer.subarray(0, Math.floor(answer.length / 2));
        res.writeHead(backend.statusCode ?? 502, { ...copyHeaders(backend.headers), "content-length": String(Math.max(answer.length, 1)) });
        res.write(sent, () => req.socket.destroy());
        return;
      }
      default:
        return pipeThrough(req, res, body);
    }
  }

  async function pipeThrough(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const backend = await forward(req, body);
    const headers = copyHeaders(backend.headers);
    if (backend.headers["content-length"] !== undefined) headers["content-length"] = backend.headers["content-length"];
    res.writeHead(backend.statusCode ?? 502, headers);
    backend.pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The backend itself failed (refused, reset): answer 502 so the test sees it, unless already answering.
      if (!res.headersSent && !res.destroyed) {
        send(res, { status: 502, headers: { "content-type": "text/plain" }, body: `fault proxy: ${error instanceof Error ? error.message : String(error)}` });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRules,
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
