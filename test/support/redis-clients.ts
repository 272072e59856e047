import { createClient } from "redis";
import type { CallClient, SendCommandClient } from "../../src/checkpointers/redis/client.ts";

/** What the tests use of a node-redis client. */
export interface NodeRedis extends SendCommandClient {
  close(): Promise<unknown>;
}

/**
 * A connected node-redis client. v6 speaks RESP3 by default; `resp: 2` gives the older protocol
 * (and ioredis's): the checkpointer must read both alike.
 */
export async function connectRedis(url: string, options: { resp?: 2 | 3 } = {}): Promise<NodeRedis> {
  const client = options.resp === 2 ? createClient({ url, RESP: 2 }) : createClient({ url });
  client.on("error", () => undefined); // a server stopped at the end of a file must not crash the worker
  await client.connect();
  return { sendCommand: (args) => client.sendCommand(args), close: () => client.close() };
}

/** The ioredis shape (`call(command, ...args)`) over a node-redis client: proves the adapter takes both. */
export function ioredisShaped(client: SendCommandClient): CallClient {
  return { call: (command, ...args) => client.sendCommand([command, ...args]) };
}

/** Send any command, e.g. `TTL key`, through a node-redis client. */
export function command(client: SendCommandClient, ...args: string[]): Promise<unknown> {
  return client.sendCommand(args);
}

/**
 * A client whose commands can be held back, like a worker frozen by a GC pause or a partition:
 * while paused, commands wait (in order) and reach Redis only after `resume()`.
 */
export interface PausableRedis extends SendCommandClient {
  pause(): void;
  resume(): void;
  heldCount(): number;
  /** Every command that reached Redis, in order. */
  delivered(): string[][];
  /** Commands sent so far (held or not), by name. */
  sent(name: string): number;
}

export function pausableRedis(client: SendCommandClient): PausableRedis {
  let paused = false;
  let held: Array<() => void> = [];
  const delivered: string[][] = [];
  const sent: string[] = [];
  const deliver = (args: string[]): Promise<unknown> => {
    delivered.push(args);
    return client.sendCommand(args);
  };
  return {
    sendCommand(args) {
      sent.push(args[0] ?? "");
      if (!paused) return deliver(args);
      return new Promise((resolve, reject) => {
        held.push(() => void deliver(args).then(resolve, reject));
      });
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      const release = held;
      held = [];
      for (const go of release) go();
    },
    heldCount: () => held.length,
    delivered: () => delivered,
    sent: (name) => sent.filter((n) => n === name).length,
  };
}

/** A hash as a plain object, read with a script so RESP2 and RESP3 clients answer alike. */
export async function rawHash(client: SendCommandClient, key: string): Promise<Record<string, string>> {
  const flat = (await client.sendCommand(["EVAL", "return redis.call('HGETALL', KEYS[1])", "1", key])) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
