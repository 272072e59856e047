import { createServer } from "node:net";

/**
 * A loopback endpoint nothing listens on: bind a server to an ephemeral port, note the port, close it.
 * Connecting to it is refused at once (ECONNREFUSED), the way a wrong endpoint fails.
 */
export async function closedLoopbackEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port bound");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}
