/**
 * MessagePack items framed as netstrings, many per record (the Python library's MsgpackProcessor).
 * The msgpack codec is injected so the library has no dependency for it, e.g.
 * `new MsgpackProcessor({ encode, decode })` with `import { encode, decode } from "@msgpack/msgpack"`.
 */
import { ConfigError, DecodeError, EncodeError, isAsyncKinesisError } from "../errors.ts";
import { NetstringAggregator } from "./aggregators.ts";
import { splitNetstrings } from "./netstring.ts";
import type { Aggregator, Processor } from "./types.ts";

/** The two functions of a MessagePack library (e.g. `@msgpack/msgpack`) that `MsgpackProcessor` calls. */
export interface MsgpackCodec {
  /** Serialize one item; may throw, which becomes an `EncodeError`. */
  encode(item: unknown): Uint8Array;
  /** Deserialize one item's bytes; may throw, which becomes a `DecodeError`. */
  decode(bytes: Uint8Array): unknown;
}

/** MessagePack items framed as netstrings, many per record. The constructor throws `ConfigError` without both codec functions. */
export class MsgpackProcessor<T = unknown> implements Processor<T> {
  readonly #codec: MsgpackCodec;

  constructor(codec: MsgpackCodec) {
    if (typeof codec?.encode !== "function" || typeof codec.decode !== "function") {
      throw new ConfigError("codec", "MsgpackProcessor needs { encode, decode } functions, e.g. from @msgpack/msgpack");
    }
    this.#codec = { encode: codec.encode.bind(codec), decode: codec.decode.bind(codec) };
  }

  /** The record's items, one per netstring; throws `DecodeError` on bad framing or bytes the codec rejects. */
  parse(data: Uint8Array): T[] {
    return splitNetstrings(data).map((payload, index) => {
      try {
        return this.#codec.decode(payload) as T;
      } catch (error) {
        throw new DecodeError(`netstring ${index} is not valid msgpack`, { cause: error });
      }
    });
  }

  /** Packs encoded items as netstrings up to `maxBytes`; throws `EncodeError` when the codec fails or returns no `Uint8Array`. */
  aggregator(maxBytes: number): Aggregator<T> {
    return new NetstringAggregator<T>(maxBytes, (item) => {
      let bytes: unknown;
      try {
        bytes = this.#codec.encode(item);
      } catch (error) {
        if (isAsyncKinesisError(error)) throw error;
        throw new EncodeError("item cannot be encoded as msgpack", { cause: error });
      }
      if (!(bytes instanceof Uint8Array)) throw new EncodeError("msgpack encode did not return a Uint8Array");
      return bytes;
    });
  }
}
