import { createReadStream } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { AbortedError, ConfigError } from "../index.ts";
import type { CliIo, Output, StopReason } from "./command.ts";

const RESOLVED = Promise.resolve();

/**
 * A stream as an `Output`: writes wait for `drain` (a slow reader slows the verb down instead of
 * filling memory), and once the reader has gone (EPIPE, e.g. `| head -1`) writes are dropped and
 * `onClosed` is told, so the verb can stop and exit 0 like `tail -f | head` does.
 */
export function streamOutput(stream: Writable & { isTTY?: boolean }, onClosed: () => void): Output {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    onClosed();
  };
  // Any write error (EPIPE, EBADF, a file system error) ends this output; an unhandled one would crash with a stack.
  stream.on("error", close);
  return {
    isTTY: stream.isTTY === true,
    get closed() {
      return closed;
    },
    write(text: string): Promise<void> {
      if (closed) return RESOLVED;
      let ready: boolean;
      try {
        ready = stream.write(text);
      } catch {
        // Some runtimes throw a broken pipe from write itself instead of emitting it.
        close();
        return RESOLVED;
      }
      if (ready) return RESOLVED;
      return new Promise((resolve) => {
        const done = (): void => {
          stream.off("drain", done);
          stream.off("error", done);
          stream.off("close", done);
          resolve();
        };
        stream.once("drain", done);
        stream.once("error", done);
        stream.once("close", done);
      });
    },
  };
}

function lines(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity, terminal: false });
}

/** A file's lines; a file that cannot be read (missing, a directory, no permission) is a usage error naming it. */
async function* fileLines(path: string): AsyncGenerator<string> {
  try {
    yield* lines(createReadStream(path, { encoding: "utf8" }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") throw new ConfigError("--file", `cannot read ${path} (${code})`);
    throw error;
  }
}

/**
 * The real process: stdout and stderr, stdin and files as lines, and a signal that aborts on the first
 * SIGINT / SIGTERM (the verb then stops cleanly) or when stdout's reader goes away. A second SIGINT
 * exits at once with 130, for a verb that does not stop.
 */
export function nodeIo(): { io: CliIo; dispose(): void } {
  const controller = new AbortController();
  let reason: StopReason | undefined;
  const stop = (why: StopReason): void => {
    if (reason !== undefined) return;
    reason = why;
    controller.abort(new AbortedError(why === "interrupted" ? "interrupted" : "stdout was closed"));
  };
  const onSignal = (): void => {
    if (reason === "interrupted") process.exit(130);
    stop("interrupted");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const stdout = streamOutput(process.stdout, () => stop("output-closed"));
  const stderr = streamOutput(process.stderr, () => undefined);
  const io: CliIo = {
    stdout,
    stderr,
    stdinLines: () => lines(process.stdin),
    fileLines,
    stdinIsTTY: process.stdin.isTTY === true,
    signal: controller.signal,
    stopReason: () => reason,
  };
  return {
    io,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
