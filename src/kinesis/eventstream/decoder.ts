import { ProtocolError } from "../../errors.ts";
import { crc32 } from "./crc32.ts";
import { decodeHeaders, type HeaderValue } from "./headers.ts";

/** One `application/vnd.amazon.eventstream` message: its headers and its payload bytes. */
export interface EventStreamMessage {
  headers: Map<string, HeaderValue>;
  payload: Uint8Array;
}

export interface EventStreamLimits {
  /** Largest whole message accepted, prelude and CRCs included (default 32 MiB). */
  maxMessageBytes?: number;
  /** Largest header block accepted (default 128 KiB, the framing's own limit). */
  maxHeaderBytes?: number;
}

/** Prelude: total length, headers length, prelude CRC — three big-endian u32. */
const PRELUDE_BYTES = 12;
/** The prelude and the message CRC that closes every message. */
const FRAMING_BYTES = PRELUDE_BYTES + 4;
/**
 * A SubscribeToShardEvent can carry records up to the stream's maximum record size (10 MiB since
 * 2025) in base64, so a message may be well over 10 MiB; 32 MiB still refuses a corrupt length
 * before it becomes an allocation.
 */
const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_HEADER_BYTES = 128 * 1024;

/**
 * Splits a byte stream into event-stream messages, whatever the chunk boundaries: push each chunk as
 * it arrives and take the messages it completed. Both CRCs are checked; a mismatch, an impossible or
 * oversized length, or bytes left over at the end is a ProtocolError (the stream cannot be trusted
 * after that: the decoder stays failed).
 *
 * A message wholly inside one chunk is decoded in place (its payload is a view of the chunk); a
 * message split across chunks is copied once into a buffer of its announced size.
 */
export class EventStreamDecoder {
  readonly #maxMessageBytes: number;
  readonly #maxHeaderBytes: number;
  readonly #prelude = new Uint8Array(PRELUDE_BYTES);
  #preludeFill = 0;
  /** The message being assembled across chunks, once its prelude was read and checked. */
  #message: Uint8Array | undefined;
  #messageFill = 0;
  #failed: ProtocolError | undefined;

  constructor(limits: EventStreamLimits = {}) {
    this.#maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Feed the next chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): EventStreamMessage[] {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      return this.#push(chunk);
    } catch (error) {
      if (error instanceof ProtocolError) this.#failed = error;
      throw error;
    }
  }

  /** The stream ended: a ProtocolError if it ended inside a message. */
  end(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#preludeFill > 0 || this.#message !== undefined) {
      const have = this.#message === undefined ? this.#preludeFill : this.#messageFill;
      const total = this.#message?.length;
      throw (this.#failed = new ProtocolError(`event stream: ended inside a message (${have} of ${total ?? "at least 12"} bytes)`));
    }
  }

  #push(chunk: Uint8Array): EventStreamMessage[] {
    const out: EventStreamMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#message !== undefined) {
        const take = Math.min(chunk.length - at, this.#message.length - this.#messageFill);
        this.#message.set(chunk.subarray(at, at + take), this.#messageFill);
        this.#messageFill += take;
        at += take;
        if (this.#messageFill === this.#message.length) {
          out.push(this.#decode(this.#message, 0));
          this.#message = undefined;
          this.#messageFill = 0;
        }
        continue;
      }
      if (this.#preludeFill === 0 && chunk.length - at >= PRELUDE_BYTES) {
        // Fast path: the prelude is here whole; if the message is too, decode it where it lies.
        const total = this.#checkPrelude(chunk, at);
        if (chunk.length - at >= total) {
          out.push(this.#decode(chunk.subarray(at, at + total), 0));
          at += total;
          continue;
        }
        this.#message = new Uint8Array(total);
        this.#preludeFill = 0;
        continue; // the loop copies from `at`, prelude included
      }
      const take = Math.min(chunk.length - at, PRELUDE_BYTES - this.#preludeFill);
      this.#prelude.set(chunk.subarray(at, at + take), this.#preludeFill);
      this.#preludeFill += take;
      at += take;
      if (this.#preludeFill === PRELUDE_BYTES) {
        const total = this.#checkPrelude(this.#prelude, 0);
        this.#message = new Uint8Array(total);
        this.#message.set(this.#prelude, 0);
        this.#messageFill = PRELUDE_BYTES;
        this.#preludeFill = 0;
      }
    }
    return out;
  }

  /** Check the prelude at `bytes[at]`; returns the message's total length. */
  #checkPrelude(bytes: Uint8Array, at: number): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, PRELUDE_BYTES);
    const total = view.getUint32(0);
    const headerBytes = view.getUint32(4);
    const expected = view.getUint32(8);
    const actual = crc32(bytes, at, at + 8);
    if (actual !== expected) throw new ProtocolError(`event stream: prelude CRC mismatch (got ${hex(actual)}, prelude says ${hex(expected)})`);
    if (total < FRAMING_BYTES) throw new ProtocolError(`event stream: message length ${total} is shorter than its framing (${FRAMING_BYTES} bytes)`);
    if (total > this.#maxMessageBytes) throw new ProtocolError(`event stream: message length ${total} exceeds the limit of ${this.#maxMessageBytes} bytes`);
    if (headerBytes > this.#maxHeaderBytes) {
      throw new ProtocolError(`event stream: header length ${headerBytes} exceeds the limit of ${this.#maxHeaderBytes} bytes`);
    }
    if (headerBytes > total - FRAMING_BYTES) throw new ProtocolError(`event stream: header length ${headerBytes} does not fit a ${total}-byte message`);
    return total;
  }

  /** Decode one whole message, `bytes` exactly its length (prelude already checked). */
  #decode(bytes: Uint8Array, at: number): EventStreamMessage {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, bytes.length - at);
    const total = view.getUint32(0);
    const headerBytes = view.getUint32(4);
    const expected = view.getUint32(total - 4);
    const actual = crc32(bytes, at, at + total - 4);
    if (actual !== expected) throw new ProtocolError(`event stream: message CRC mismatch (got ${hex(actual)}, message says ${hex(expected)})`);
    const headersEnd = at + PRELUDE_BYTES + headerBytes;
    return { headers: decodeHeaders(bytes, at + PRELUDE_BYTES, headersEnd), payload: bytes.subarray(headersEnd, at + total - 4) };
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}
