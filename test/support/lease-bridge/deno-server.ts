/**
 * Deno side of the lease bridge (protocol.ts): an in-memory Deno KV behind a loopback HTTP server.
 * Prints `{"port": n}` once listening. Run by test/support/lease-bridge/start.ts.
 */
import type { DenoKvLike } from "../../../src/checkpointers/deno-kv/kv.ts";
import { denoKvHost } from "./hosts.ts";
import { answerBridge } from "./protocol.ts";

declare const Deno: {
  openKv(path?: string): Promise<DenoKvLike>;
  serve(options: { hostname: string; port: number; onListen(address: { port: number }): void }, handler: (request: Request) => Promise<Response>): unknown;
};

const host = denoKvHost(await Deno.openKv(":memory:"));
Deno.serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(JSON.stringify({ port })),
  },
  (request) => answerBridge(host, request),
);
