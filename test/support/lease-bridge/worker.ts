/**
 * workerd side of the lease bridge (protocol.ts): one Durable Object, `LeaseBridge`, whose storage
 * holds every row of the suites; the Worker forwards each request to it. Bundled by
 * test/support/lease-bridge/start.ts and run in Miniflare.
 */
import type { DurableObjectStorageLike } from "../../../src/checkpointers/durable-object/storage.ts";
import { durableObjectHost } from "./hosts.ts";
import { answerBridge } from "./protocol.ts";

interface Namespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

export class LeaseBridge {
  readonly #storage: DurableObjectStorageLike;

  constructor(state: { storage: DurableObjectStorageLike }) {
    this.#storage = state.storage;
  }

  fetch(request: Request): Promise<Response> {
    return answerBridge(durableObjectHost(this.#storage), request);
  }
}

export default {
  fetch(request: Request, env: { BRIDGE: Namespace }): Promise<Response> {
    return env.BRIDGE.get(env.BRIDGE.idFromName("lease-suites")).fetch(request);
  },
};
