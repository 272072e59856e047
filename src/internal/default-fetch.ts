/**
 * The `fetch` a client uses when its options bring none. The Web build uses the runtime's own,
 * looked up per call (workerd wants it called on globalThis, and a test may replace it). The Node
 * build (src/node/index.ts, the `node` export condition) registers a transport over `node:http`
 * that costs less CPU per request; this module itself imports nothing runtime-specific.
 */
let preferred: typeof fetch | undefined;

/** Called by the Node entry when it is loaded; `undefined` goes back to the runtime's `fetch`. */
export function setDefaultFetch(transport: typeof fetch | undefined): void {
  preferred = transport;
}

/** The transport in force: the registered one, else `globalThis.fetch`. */
export const defaultFetch: typeof fetch = (input, init) => (preferred ?? globalThis.fetch)(input, init);
