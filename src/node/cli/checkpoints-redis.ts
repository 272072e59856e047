import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Buffer } from "node:buffer";
import { ConfigError, NetworkError } from "../index.ts";
import { asRedisError } from "../../checkpointers/redis/client.ts";

/**
 * The few Redis commands the `checkpoints` verbs send (EVALSHA/EVAL, GET, AUTH, SELECT), over one
 * connection, without a Redis client dependency: RESP2 requests and replies, answered in order. Error
 * replies reject with Redis's own text (`NOSCRIPT …`, `WRONGTYPE …`), as node-redis and ioredis do, so
 * the checkpointer's error mapping applies unchanged. The URL's password is sent, never printed.
 */
export interface CliRedis {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
export async function connectRedisUrl(url: string, flag: string): Promise<CliRedis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(flag, `${flag} must be a redis:// or rediss:// URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new ConfigError(flag, `${flag} must be a redis:// or rediss:// URL`);
  const host = parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  const where = `${parsed.protocol}//${host}:${port}`; // no credentials: this goes into messages
  const db = parsed.pathname.replace(/^\//, "");
  if (!/^[0-9]*$/.test(db)) throw new ConfigError(flag, `${flag}: the database after the port must be a number`);
  const user = decodeUserInfo(parsed.username, flag, "user name");
  const password = decodeUserInfo(parsed.password, flag, "password");
  const socket = await open(parsed.protocol === "rediss:", host, port, where);
  const connection = new RespConnection(socket, where);
  try {
    if (password !== "") await setUp(connection, "AUTH", user === "" ? ["AUTH", password] : ["AUTH", user, password], password);
    if (db !== "" && db !== "0") await setUp(connection, "SELECT", ["SELECT", db], password);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return connection;
}

/** A user name or password from the URL, percent-decoded; a broken escape is a usage error that does not quote it. */
function decodeUserInfo(encoded: string, flag: string, what: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ConfigError(flag, `${flag}: the ${what} in the URL has a malformed %-escape (write % as %25)`);
  }
}

/** A connection-setup command; Redis refusing it (WRONGPASS, NOAUTH, DB index out of range) is a typed error without the password. */
async function setUp(connection: CliRedis, command: string, args: string[], password: string): Promise<void> {
  try {
    await connection.sendCommand(args);
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    const message = (error as Error).message;
    throw asRedisError(command, new Error(password === "" ? message : message.split(password).join("***")));
  }
}

function open(tls: boolean, host: string, port: number, where: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tls ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    const onError = (error: Error & { code?: string }) =>
      reject(new NetworkError(`cannot reach Redis at ${where}: ${error.code ?? error.message}`, { cause: error }));
    socket.once("error", onError);
    socket.once(tls ? "secureConnect" : "connect", () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };

class RespConnection implements CliRedis {
  readonly #socket: Socket;
  readonly #where: string;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #failure: Error | undefined;

  constructor(socket: Socket, where: string) {
    this.#socket = socket;
    this.#where = where;
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on(
      "error",
      (error) => this.#fail(new NetworkError(`Redis at ${where}: ${(error as Error & { code?: string }).code ?? error.message}`, { cause: error })),
    );
    socket.on("close", () => this.#fail(new NetworkError(`Redis at ${where} closed the connection`)));
  }

  sendCommand(args: string[]): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      let request = `*${args.length}\r\n`;
      for (const arg of args) request += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
      this.#socket.write(request);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once("close", () => resolve());
      this.#socket.end();
    });
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#pending.splice(0)) waiting.reject(this.#failure);
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      let parsed;
      try {
        parsed = parseReply(this.#buffer, 0);
      } catch (error) {
        this.#fail(error as Error);
        this.#socket.destroy();
        return;
      }
      if (parsed === undefined) return;
      this.#buffer = this.#buffer.subarray(parsed.next);
      const waiting = this.#pending.shift();
      if (waiting === undefined) continue; // nothing asked for it (cannot happen with RESP2)
      if (parsed.value instanceof RedisErrorReply) waiting.reject(new Error(parsed.value.message));
      else waiting.resolve(parsed.value);
    }
  }
}

class RedisErrorReply {
  constructor(readonly message: string) {}
}

/** One RESP2 reply from `offset`, or undefined when the buffer does not hold all of it yet. */
function parseReply(buffer: Buffer, offset: number): { value: unknown; next: number } | undefined {
  const end = buffer.indexOf("\r\n", offset);
  if (end < 0) return undefined;
  const line = buffer.toString("utf8", offset + 1, end);
  const after = end + 2;
  switch (String.fromCharCode(buffer[offset]!)) {
    case "+":
      return { value: line, next: after };
    case "-":
      return { value: new RedisErrorReply(line), next: after };
    case ":":
      return { value: Number(line), next: after };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) return undefined;
      return { value: buffer.toString("utf8", after, after + length), next: after + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: unknown[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value instanceof RedisErrorReply ? new Error(item.value.message) : item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new NetworkError(`not a Redis reply (${JSON.stringify(line.slice(0, 20))}): is this a Redis server?`);
  }
}
