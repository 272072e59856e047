/**
 * MD5 (RFC 1321) over `Uint8Array`, because WebCrypto has no MD5 and `src/` may not use `node:crypto`.
 * KPL aggregated records carry an MD5 of their protobuf body, and Kinesis maps a partition key to a
 * shard by the MD5 of its UTF-8 bytes. Not for security: MD5 is broken as a cryptographic hash.
 *
 * Speed matters (aggregates are up to 1 MiB and checked on every read): words are read through one
 * DataView, the state lives in locals, and nothing is allocated per block.
 */

// floor(abs(sin(i + 1)) * 2^32), as listed in RFC 1321 §3.4 (hard-coded: Math.sin is not exact).
const SINE_TABLE = [
  0xd76aa478,
  0xe8c7b756,
  0x242070db,
  0xc1bdceee,
  0xf57c0faf,
  0x4787c62a,
  0xa8304613,
  0xfd469501,
  0x698098d8,
  0x8b44f7af,
  0xffff5bb1,
  0x895cd7be,
  0x6b901122,
  0xfd987193,
  0xa679438e,
  0x49b40821,
  0xf61e2562,
  0xc040b340,
  0x265e5a51,
  0xe9b6c7aa,
  0xd62f105d,
  0x02441453,
  0xd8a1e681,
  0xe7d3fbc8,
  0x21e1cde6,
  0xc33707d6,
  0xf4d50d87,
  0x455a14ed,
  0xa9e3e905,
  0xfcefa3f8,
  0x676f02d9,
  0x8d2a4c8a,
  0xfffa3942,
  0x8771f681,
  0x6d9d6122,
  0xfde5380c,
  0xa4beea44,
  0x4bdecfa9,
  0xf6bb4b60,
  0xbebfbc70,
  0x289b7ec6,
  0xeaa127fa,
  0xd4ef3085,
  0x04881d05,
  0xd9d4d039,
  0xe6db99e5,
  0x1fa27cf8,
  0xc4ac5665,
  0xf4292244,
  0x432aff97,
  0xab9423a7,
  0xfc93a039,
  0x655b59c3,
  0x8f0ccc92,
  0xffeff47d,
  0x85845dd1,
  0x6fa87e4f,
  0xfe2ce6e0,
  0xa3014314,
  0x4e0811a1,
  0xf7537e82,
  0xbd3af235,
  0x2ad7d2bb,
  0xeb86d391,
] as const;

// Per-step left-rotation amounts: each round repeats its four shifts four times.
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21] as const;

interface Tables {
  k: Int32Array;
  s: Int32Array;
  words: Int32Array;
}

let tables: Tables | undefined;

function getTables(): Tables {
  if (tables === undefined) {
    const s = new Int32Array(64);
    for (let i = 0; i < 64; i++) s[i] = SHIFTS[(i >> 4) * 4 + (i & 3)]!;
    tables = { k: Int32Array.from(SINE_TABLE), s, words: new Int32Array(16) };
  }
  return tables;
}

/** Mixes one 64-byte block at `offset` of `view` into `state` (4 words). */
function compress(state: Int32Array, view: DataView, offset: number, t: Tables): void {
  const w = t.words;
  for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + i * 4, true);
  mix(state, w, t);
}

/** Mixes one block, given as its 16 little-endian words, into `state`. */
function mix(state: Int32Array, w: Int32Array, t: Tables): void {
  const { k, s } = t;
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let f = 0;
  let x = 0;
  let i = 0;

  // The four rounds differ only in the mixing function and the order words are taken in.
  for (; i < 16; i++) {
    f = (b & c) | (~b & d);
    x = (a + f + k[i]! + w[i]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s[i]!) | (x >>> (32 - s[i]!)))) | 0;
  }
  for (; i < 32; i++) {
    f = (d & b) | (~d & c);
    x = (a + f + k[i]! + w[(5 * i + 1) & 15]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s[i]!) | (x >>> (32 - s[i]!)))) | 0;
  }
  for (; i < 48; i++) {
    f = b ^ c ^ d;
    x = (a + f + k[i]! + w[(3 * i + 5) & 15]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s[i]!) | (x >>> (32 - s[i]!)))) | 0;
  }
  for (; i < 64; i++) {
    f = c ^ (b | ~d);
    x = (a + f + k[i]! + w[(7 * i) & 15]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s[i]!) | (x >>> (32 - s[i]!)))) | 0;
  }

  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/** The 16-byte MD5 digest of `bytes`. */
export function md5(bytes: Uint8Array): Uint8Array {
  const t = getTables();
  const state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  const length = bytes.byteLength;
  const fullBlocksEnd = length - (length % 64);

  const input = new DataView(bytes.buffer, bytes.byteOffset, length);
  for (let offset = 0; offset < fullBlocksEnd; offset += 64) compress(state, input, offset, t);

  // Tail: the leftover bytes, a 1 bit, zeros, then the bit length (64-bit little-endian). It takes
  // two blocks when fewer than 9 bytes of the first are free.
  const rest = length - fullBlocksEnd;
  const tailLength = rest < 56 ? 64 : 128;
  const tail = new Uint8Array(tailLength);
  tail.set(bytes.subarray(fullBlocksEnd));
  tail[rest] = 0x80;
  const tailView = new DataView(tail.buffer);
  const bitLength = length * 8;
  tailView.setUint32(tailLength - 8, bitLength >>> 0, true);
  tailView.setUint32(tailLength - 4, Math.floor(bitLength / 0x1_0000_0000), true);
  for (let offset = 0; offset < tailLength; offset += 64) compress(state, tailView, offset, t);

  const digest = new Uint8Array(16);
  const out = new DataView(digest.buffer);
  for (let j = 0; j < 4; j++) out.setInt32(j * 4, state[j]!, true);
  return digest;
}

let encoder: TextEncoder | undefined;

/** Buffers for hashing a short key in one block without allocating (see partitionKeyHash). */
interface KeyBlock {
  bytes: Uint8Array;
  words: Int32Array;
  state: Int32Array;
  digest: DataView;
  digestWords: Int32Array;
}

/** Made on first use; null on a big-endian platform, where typed-array words are not MD5's little-endian ones. */
let keyBlock: KeyBlock | null | undefined;

function getKeyBlock(): KeyBlock | null {
  if (keyBlock === undefined) {
    const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
    const block = new ArrayBuffer(64);
    const digest = new ArrayBuffer(16);
    keyBlock = littleEndian
      ? {
        bytes: new Uint8Array(block),
        words: new Int32Array(block),
        state: new Int32Array(4),
        digest: new DataView(digest),
        digestWords: new Int32Array(digest),
      }
      : null;
  }
  return keyBlock;
}

/** The longest message that fits in one block with its padding (a 0x80 byte and the 8-byte length). */
const ONE_BLOCK_BYTES = 55;

/**
 * The 128-bit unsigned big-endian integer of MD5(UTF-8 of the key): the point on the hash-key ring
 * that Kinesis maps a partition key to, to be compared with a shard's `HashKeyRange`.
 *
 * Routing hashes every partition key it has not seen, and most keys are short ASCII: those are written
 * straight into one reused padded block, so hashing one allocates nothing but the result.
 */
export function partitionKeyHash(partitionKey: string): bigint {
  const length = partitionKey.length;
  const block = length <= ONE_BLOCK_BYTES ? getKeyBlock() : null;
  if (block !== null && fillAsciiBlock(block, partitionKey)) {
    const state = block.state;
    state[0] = 0x67452301;
    state[1] = 0xefcdab89 | 0;
    state[2] = 0x98badcfe | 0;
    state[3] = 0x10325476;
    mix(state, block.words, getTables());
    const out = block.digestWords;
    out[0] = state[0]!;
    out[1] = state[1]!;
    out[2] = state[2]!;
    out[3] = state[3]!;
    return (block.digest.getBigUint64(0, false) << 64n) | block.digest.getBigUint64(8, false);
  }
  encoder ??= new TextEncoder();
  const digest = new DataView(md5(encoder.encode(partitionKey)).buffer);
  return (digest.getBigUint64(0, false) << 64n) | digest.getBigUint64(8, false);
}

/** Pad an ASCII key of at most 55 characters into the block; false (block unusable) if it is not ASCII. */
function fillAsciiBlock(block: KeyBlock, key: string): boolean {
  const bytes = block.bytes;
  const length = key.length;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return false;
    bytes[i] = code;
  }
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, 56);
  // The bit length, little-endian, in the last 8 bytes (it fits in the low word).
  block.words[14] = length * 8;
  block.words[15] = 0;
  return true;
}
