/**
 * The CLI's own Redis connection (`--redis redis://user:password@host:port/db`): a refused AUTH or
 * SELECT is a typed RedisCommandError (exit status 3, Redis answered), never an "unexpected error",
 * and its message never holds the password. Against a real redis-server with a password set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, RedisCommandError } from "../../src/errors.ts";
import { connectRedisUrl } from "../../src/node/cli/checkpoints-redis.ts";
import { errorLine } from "../../src/node/cli/error-line.ts";
import { ExitCode, exitCodeFor } from "../../src/node/cli/exit-codes.ts";
import { type LocalRedis, redisCommand, startRedis } from "../support/redis-server.ts";

const PASSWORD = "right-pw-0451";
let server: LocalRedis;
beforeAll(async () => {
  server = await startRedis();
  expect(await redisCommand(server.port, ["CONFIG", "SET", "requirepass", PASSWORD])).toBe("+OK");
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const url = (auth: string, db = "") => `redis://${auth}@127.0.0.1:${server.port}${db}`;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable("the connection was expected to fail"), (error: unknown) => error);
}

describe("connectRedisUrl (checkpoints --redis)", () => {
  it("the right password connects and commands are answered", async () => {
    const connection = await connectRedisUrl(url(`:${PASSWORD}`), "--redis");
    expect(await connection.sendCommand(["PING"])).toBe("PONG");
    await connection.close();
  });

  it("a wrong password is a RedisCommandError naming AUTH (exit status 3) whose line never shows the password", async () => {
    const error = await failure(connectRedisUrl(url(":s3cret-wrong-pw"), "--redis"));
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as RedisCommandError).command).toBe("AUTH");
    expect((error as RedisCommandError).replyCode).toBe("WRONGPASS");
    expect(exitCodeFor(error)).toBe(ExitCode.service);
    const line = errorLine(error, "checkpoints list", false);
    expect(line).toContain("WRONGPASS");
    expect(line).not.toContain("unexpected error");
    expect(line).not.toContain("s3cret-wrong-pw");
  });

  it("a database number the server does not have is a RedisCommandError naming SELECT (exit status 3)", async () => {
    const error = await failure(connectRedisUrl(url(`:${PASSWORD}`, "/9999"), "--redis"));
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as RedisCommandError).command).toBe("SELECT");
    expect(exitCodeFor(error)).toBe(ExitCode.service);
    expect(errorLine(error, "checkpoints list", false)).not.toContain(PASSWORD);
  });

  it("a password with a broken percent-escape is a ConfigError that does not quote it, before anything is sent", async () => {
    const error = await failure(connectRedisUrl("redis://:pa%zzss-word@127.0.0.1:9", "--redis"));
    expect(error).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(error)).toBe(ExitCode.usage);
    expect(errorLine(error, "checkpoints list", false)).not.toContain("pa%zzss");
  });

  it("a database that is not a number is a ConfigError before anything is sent (so before AUTH)", async () => {
    // Nothing listens on port 9: had it tried to connect first, this would be a NetworkError.
    const error = await failure(connectRedisUrl("redis://:pw@127.0.0.1:9/orders", "--redis"));
    expect(error).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(error)).toBe(ExitCode.usage);
  });
});
