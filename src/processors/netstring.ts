/**
 * Netstring framing (`<length>:<bytes>,`, concatenated) as the msgpack processor reads it. The input
 * is untrusted: every length is checked against what is left, and any deviation is a `DecodeError`.
 */
import { DecodeError } from "../errors.ts";

const COLON = 0x3a;
const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** A record is at most 1 MiB, so no sane length needs more digits than this. */
const MAX_LENGTH_DIGITS = 9;

/** The payloads of the netstrings in `data`, as views into it. Empty input holds none. */
export function splitNetstrings(data: Uint8Array): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  let position = 0;
  while (position < data.byteLength) {
    const start = position;
    let length = 0;
    let digits = 0;
    for (;;) {
      const byte = data[position];
      if (byte === undefined) throw bad(start, "length without ':'");
      if (byte === COLON) break;
      if (byte < DIGIT_0 || byte > DIGIT_9) throw bad(start, "length is not a decimal number");
      if (++digits > MAX_LENGTH_DIGITS) throw bad(start, "length has too many digits");
      length = length * 10 + (byte - DIGIT_0);
      position++;
    }
    if (digits === 0) throw bad(start, "empty length");
    position++; // the colon
    if (length + 1 > data.byteLength - position) throw bad(start, `length ${length} runs past the end`);
    payloads.push(data.subarray(position, position + length));
    position += length;
    if (data[position] !== COMMA) throw bad(start, "payload not followed by ','");
    position++;
  }
  return payloads;
}

function bad(offset: number, detail: string): DecodeError {
  return new DecodeError(`bad netstring at byte ${offset}: ${detail}`);
}
