/**
 * A loopback bridge that lets the shared lease suites (vitest, on Node) drive a `LeaseBackend` that
 * lives in another runtime — a Durable Object in workerd, Deno KV in Deno — so every storage
 * operation happens in the real platform while the suites stay one. Each backend method is one
 * `POST /backend` request; `/raw` and `/take-over` are the driver's reads and writes past the
 * checkpointer. This file is platform-neutral (Web APIs only): the Deno server and the worker import it.
 */
import type { LeaseBackend } from "../../../src/checkpointers/lease/backend.ts";
import type { Clock } from "../../../src/internal/clock.ts";

export type BackendMethod = "listRows" | "readRow" | "create" | "take" | "requestHandoff" | "ownerWrite" | "cancelHandoff";

/** One backend call: which session's backend (group, stream, incarnation), the caller's wall time, and the arguments minus the signal. */
export interface BackendCall {
  group: string;
  stream: string;
  incarnation?: string;
  nowMs: number;
  method: BackendMethod;
  args: unknown[];
}

export interface RowAddress {
  group: string;
  stream: string;
  shardId: string;
}

/** A row as the lease suite's driver reads it (`RawRow`). */
export interface BridgedRawRow {
  owner?: string;
  sequence?: string;
  finished: boolean;
  counter: number;
}

/** What a platform puts behind the bridge. */
export interface BridgeHost {
  /** The platform's real backend for one session, stamping with `clock`. */
  backend(group: string, stream: string, incarnation: string | undefined, clock: Clock): LeaseBackend;
  rawRow(address: RowAddress): Promise<BridgedRawRow | undefined>;
  /** Another worker's takeover in one atomic step: `owner` in the row, the counter bumped. */
  takeOver(address: RowAddress & { owner: string }): Promise<void>;
}

/** A clock standing still at the caller's time: a backend stamps rows with the time of the call. */
function callClock(nowMs: number): Clock {
  return { now: () => nowMs, sleep: () => Promise.reject(new Error("the bridge never sleeps")) };
}

async function runBackendCall(host: BridgeHost, call: BackendCall): Promise<unknown> {
  const backend = host.backend(call.group, call.stream, call.incarnation, callClock(call.nowMs));
  const signal = new AbortController().signal;
  const a = call.args;
  switch (call.method) {
    case "listRows":
      return backend.listRows(signal);
    case "readRow":
      return backend.readRow(a[0] as string, signal);
    case "create":
      return backend.create(a[0] as string, a[1] as string, a[2] as number, signal);
    case "take":
      return backend.take(a[0] as string, a[1] as string, a[2] as { counter: number; owner?: string }, a[3] as number, signal);
    case "requestHandoff":
      return backend.requestHandoff(a[0] as string, a[1] as string, a[2] as string, signal);
    case "ownerWrite":
      return backend.ownerWrite(a[0] as string, a[1] as string, a[2] as Parameters<LeaseBackend["ownerWrite"]>[2], signal);
    case "cancelHandoff":
      return backend.cancelHandoff(a[0] as string, a[1] as string, signal);
  }
}

/** What `/race` found: which takers' writes landed, and the row after all of them. */
export interface RaceOutcome {
  winners: string[];
  owner: string | undefined;
  counter: number | undefined;
}

/**
 * Racing takers inside ONE event of the platform (one request): a row is created, then `takers`
 * takes conditional on the same observed counter start together, as several sessions of one
 * isolate (several consumers in one Durable Object) would send them. Exactly one may land.
 */
async function raceInOneEvent(host: BridgeHost, address: RowAddress & { takers: number }): Promise<RaceOutcome> {
  const signal = new AbortController().signal;
  const backend = (): LeaseBackend => host.backend(address.group, address.stream, undefined, callClock(Date.now()));
  const first = await backend().create(address.shardId, `${address.group}/first`, Date.now(), signal);
  if (!first.landed || first.row === undefined) throw new Error("the race's row could not be created");
  const expected = { counter: first.row.counter, owner: first.row.owner };
  const takers = Array.from({ length: address.takers }, (_, i) => `${address.group}/taker-${i}`);
  const outcomes = await Promise.all(takers.map((me) => backend().take(address.shardId, me, expected, Date.now(), signal)));
  const row = await backend().readRow(address.shardId, signal);
  return { winners: takers.filter((_, i) => outcomes[i]!.landed), owner: row?.owner, counter: row?.counter };
}

/** Answer one bridge request: `{ result }` (JSON; undefined fields drop out) or HTTP 500 with `{ error }`. */
export async function answerBridge(host: BridgeHost, request: Request): Promise<Response> {
  try {
    const path = new URL(request.url).pathname;
    const body = (await request.json()) as unknown;
    let result: unknown;
    if (path === "/backend") result = await runBackendCall(host, body as BackendCall);
    else if (path === "/raw") result = (await host.rawRow(body as RowAddress)) ?? null;
    else if (path === "/race") result = await raceInOneEvent(host, body as RowAddress & { takers: number });
    else if (path === "/take-over") result = await host.takeOver(body as RowAddress & { owner: string });
    else return Response.json({ error: `no route ${path}` }, { status: 404 });
    return Response.json({ result: result ?? null });
  } catch (error) {
    const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return Response.json({ error: described }, { status: 500 });
  }
}
