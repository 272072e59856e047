import { createServer, type IncomingMessage, request as httpRequest, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { requestFacts, throttleResponse } from "./fault-responses.ts";

/**
 * A Kinesis proxy that knows which shard each request is about, so a test can fail ONE shard while
 * the others flow. GetRecords names no shard, only an opaque iterator, so the proxy remembers the
 * shard of every iterator it has seen handed out (GetShardIterator's `ShardIterator`, GetRecords'
 * `NextShardIterator`). It also answers with errors the seeded fault proxy does not make, such as
 * AccessDeniedException. Rules are checked in order; the first that matches answers.
 */

export type ShardFault =
  /** HTTP 400 ProvisionedThroughputExceededException, as Kinesis throttles a shard. */
  | { kind: "throttle" }
  /** Any error answer: status, bare `__type` and message. */
  | { kind: "error"; status: number; code: string; message: string };

export interface ShardFaultRule {
  /** Only requests about this shard (by `ShardId` or by an iterator issued for it); absent: any. */
  shardId?: string;
  /** Operation name, e.g. `GetRecords`; absent: any. */
  operation?: string;
  fault: ShardFault;
}

export interface ShardFaultProxy {
  endpoint: string;
  setRules(rules: readonly ShardFaultRule[]): void;
  /** Faults answered so far, per `<operation> <shardId or "-">`. */
  injected(): Record<string, number>;
  /** Requests forwarded (not faulted) so far, per `<operation> <shardId or "-">`. */
  forwarded(): Record<string, number>;
  close(): Promise<void>;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", () => resolve(Buffer.concat(chunks)));
    stream.once("error", reject);
  });
}

function parse(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export async function startShardFaultProxy(options: { target: string; rules?: readonly ShardFaultRule[] }): Promise<ShardFaultProxy> {
  const target = new URL(options.target);
  let rules: readonly ShardFaultRule[] = options.rules ?? [];
  const shardOfIterator = new Map<string, string>();
  const injected: Record<string, number> = {};
  const forwarded: Record<string, number> = {};

  function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) headers[name] = value;
      }
      const outgoing = httpRequest(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...headers, "content-length": String(body.length) } },
        (res) => {
          readBody(res).then((answer) => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === "string" && !["connection", "content-length", "transfer-encoding", "keep-alive"].includes(name)) out[name] = value;
            }
            resolve({ status: res.statusCode ?? 502, headers: out, body: answer });
          }, reject);
        },
      );
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  }

  function answer(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string): void {
    res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.slice(target.lastIndexOf(".") + 1);
    const request = parse(body);
    const shardId = typeof request["ShardId"] === "string"
      ? request["ShardId"]
      : typeof request["ShardIterator"] === "string"
      ? shardOfIterator.get(request["ShardIterator"])
      : undefined;
    const key = `${operation} ${shardId ?? "-"}`;
    const rule = rules.find((r) => (r.operation === undefined || r.operation === operation) && (r.shardId === undefined || r.shardId === shardId));
    if (rule !== undefined) {
      injected[key] = (injected[key] ?? 0) + 1;
      if (rule.fault.kind === "throttle") {
        const fabricated = throttleResponse(
          "kinesis",
          "ProvisionedThroughputExceededException",
          { ...requestFacts(request), shardId: shardId ?? "unknown" },
          "shard-fault-proxy",
        );
        return answer(res, fabricated.status, fabricated.headers, fabricated.body);
      }
      const { status, code, message } = rule.fault;
      return answer(res, status, { "content-type": "application/x-amz-json-1.1" }, JSON.stringify({ __type: code, message }));
    }
    forwarded[key] = (forwarded[key] ?? 0) + 1;
    const backend = await forward(req, body);
    if (backend.status === 200 && shardId !== undefined) {
      const out = parse(backend.body);
      for (const field of ["ShardIterator", "NextShardIterator"]) {
        const iterator = out[field];
        if (typeof iterator === "string") shardOfIterator.set(iterator, shardId);
      }
    }
    answer(res, backend.status, backend.headers, backend.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 502, { "content-type": "text/plain" }, `shard fault proxy: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRules: (next) => {
      rules = [...next];
    },
    injected: () => ({ ...injected }),
    forwarded: () => ({ ...forwarded }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
