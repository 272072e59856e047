/**
 * `handleSignals`: close consumers on SIGINT / SIGTERM (Ctrl-C, `docker stop`, Kubernetes), so their
 * leases are released at once instead of being held until `sessionTimeout`.
 *
 * Signals are runtime-specific, so the runtime is probed, never imported: Node and Bun have
 * the process object's `once` / `kill`, Deno has `Deno.addSignalListener` / `Deno.kill`; workerd and
 * browsers have no signals. One listener per signal serves every consumer of the process, so a
 * signal closes all of them before the process goes on to its default action: after the closes
 * settle, the listener is removed and the signal raised again, which ends the process as if we had
 * never listened — unless the program listens for it itself (Node, Bun), in which case its own
 * listeners decide. A second signal while closing finds no listener of ours: it ends the process at once.
 */
import { runtimeProcess } from "../internal/env.ts";

export type ShutdownSignal = "SIGINT" | "SIGTERM";
const SIGNALS: readonly ShutdownSignal[] = ["SIGINT", "SIGTERM"];

/** What a runtime offers: listen, stop listening, and raise a signal against this very process. */
export interface SignalRuntime {
  listen(signal: ShutdownSignal, listener: () => void): void;
  unlisten(signal: ShutdownSignal, listener: () => void): void;
  /** Raise `signal` again once our listeners are gone, so the runtime's (or the program's) handling proceeds. */
  reraise(signal: ShutdownSignal): void;
}

interface ProcessLike {
  pid: number;
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
}
interface DenoLike {
  pid: number;
  addSignalListener(signal: string, listener: () => void): void;
  removeSignalListener(signal: string, listener: () => void): void;
  kill(pid: number, signal: string): void;
}

/** The running runtime's signals, or undefined where there are none (workerd, browsers). */
export function probeSignalRuntime(): SignalRuntime | undefined {
  const globals = globalThis as { Deno?: Partial<DenoLike> };
  const deno = globals.Deno;
  if (deno !== undefined && typeof deno.addSignalListener === "function" && typeof deno.kill === "function") {
    const d = deno as DenoLike;
    return {
      listen: (signal, listener) => d.addSignalListener(signal, listener),
      unlisten: (signal, listener) => d.removeSignalListener(signal, listener),
      reraise: (signal) => d.kill(d.pid, signal),
    };
  }
  const proc = runtimeProcess() as Partial<ProcessLike> | undefined;
  if (proc !== undefined && typeof proc.on === "function" && typeof proc.kill === "function" && typeof proc.listenerCount === "function") {
    const p = proc as ProcessLike;
    return {
      listen: (signal, listener) => void p.on(signal, listener),
      unlisten: (signal, listener) => void p.removeListener(signal, listener),
      // With listeners of its own the program has taken charge of this signal: re-raising would only call them twice.
      reraise: (signal) => {
        if (p.listenerCount(signal) === 0) p.kill(p.pid, signal);
      },
    };
  }
  return undefined;
}

/** Something to close when a signal arrives (a consumer). */
export interface SignalTarget {
  onSignal(signal: ShutdownSignal): Promise<unknown>;
}

/**
 * The process-wide registry: listeners are installed while at least one target is registered, and
 * removed when the last one unregisters (a consumer closed normally), so nothing keeps them alive.
 */
export class SignalWatch {
  readonly #runtime: SignalRuntime;
  readonly #targets = new Set<SignalTarget>();
  readonly #listeners = new Map<ShutdownSignal, () => void>();

  constructor(runtime: SignalRuntime) {
    this.#runtime = runtime;
  }

  /** Close `target` on SIGINT / SIGTERM; the returned function stops watching for it. */
  register(target: SignalTarget): () => void {
    this.#targets.add(target);
    if (this.#listeners.size === 0) this.#install();
    return () => {
      this.#targets.delete(target);
      if (this.#targets.size === 0) this.#uninstall();
    };
  }

  #install(): void {
    for (const signal of SIGNALS) {
      const listener = (): void => void this.#received(signal);
      this.#listeners.set(signal, listener);
      this.#runtime.listen(signal, listener);
    }
  }

  #uninstall(): void {
    for (const [signal, listener] of this.#listeners) this.#runtime.unlisten(signal, listener);
    this.#listeners.clear();
  }

  async #received(signal: ShutdownSignal): Promise<void> {
    const targets = [...this.#targets];
    this.#targets.clear();
    // Ours no more: a second Ctrl-C while the leases are being released ends the process at once.
    this.#uninstall();
    await Promise.allSettled(targets.map((target) => target.onSignal(signal)));
    this.#runtime.reraise(signal);
  }
}

let processWatch: SignalWatch | undefined;

/** The one `SignalWatch` of this process, or undefined on a runtime without signals. */
export function processSignalWatch(): SignalWatch | undefined {
  if (processWatch === undefined) {
    const runtime = probeSignalRuntime();
    if (runtime !== undefined) processWatch = new SignalWatch(runtime);
  }
  return processWatch;
}
