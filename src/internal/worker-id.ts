/** A random worker id per checkpointer session (never the process id: two hosts can share one). */
export function randomWorkerId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}
