import { connect } from "node:net";
import { findOnPath, freePort, spawnServer, waitUntilReady } from "./child-server.ts";
import { missingToolMessage, REDIS_SERVER } from "./server-tools.ts";

export interface LocalRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Send one RESP command on a fresh connection and return the first reply line (e.g. `+PONG`).
 * Enough for readiness checks and smoke tests without a Redis client dependency.
 */
export function redisCommand(port: number, args: readonly string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = "";
    const timer = setTimeout(() => socket.destroy(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("data", (chunk) => {
      received += chunk.toString("utf8");
      const end = received.indexOf("\r\n");
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        resolve(received.slice(0, end));
      }
    });
    socket.once("connect", () => {
      const encoded = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("");
      socket.write(`*${args.length}\r\n${encoded}`);
    });
  });
}

/** Debian's redis-server on a free loopback port, nothing persisted. A missing binary is an error naming the install command, not a skip. */
export async function startRedis(): Promise<LocalRedis> {
  const binary = findOnPath("redis-server");
  if (binary === undefined) throw new Error(missingToolMessage(REDIS_SERVER));
  const port = await freePort();
  const server = spawnServer(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {});
  await waitUntilReady("redis-server", server, async () => (await redisCommand(port, ["PING"])) === "+PONG", 20_000);
  return { url: `redis://127.0.0.1:${port}`, host: "127.0.0.1", port, close: () => server.kill() };
}
