import { describe, expect, it } from "vitest";
import { DecodeError } from "../src/errors.ts";
import { base64ToBinary, binaryToBytes, isAsciiBinary } from "../src/internal/binary-string.ts";
import { JsonLineProcessor, JsonListProcessor, JsonProcessor, KPLJsonProcessor, KPLStringProcessor, StringProcessor } from "../src/processors/index.ts";
import type { Processor } from "../src/processors/types.ts";

const encoder = new TextEncoder();

describe("the consumer's text fast path", () => {
  const cases: Array<[string, Processor<unknown>, string]> = [
    ["JsonProcessor", new JsonProcessor(), '{"a":1,"b":[true,null,"x"]}'],
    ["StringProcessor", new StringProcessor(), "plain text, with punctuation!"],
    ["JsonLineProcessor", new JsonLineProcessor(), '{"n":1}\n{"n":2}\n\n{"n":3}\n'],
    ["JsonListProcessor", new JsonListProcessor(), '[{"n":1},{"n":2}]'],
    ["KPLJsonProcessor", new KPLJsonProcessor(), '{"k":"v"}'],
    ["KPLStringProcessor", new KPLStringProcessor(), "kpl string"],
  ];

  it.each(cases)("%s.parseText gives what parse gives for the same ASCII payload", (_name, processor, text) => {
    expect(processor.parseText!(text)).toEqual(processor.parse(encoder.encode(text)));
  });

  it("parseText raises the same typed DecodeError as parse for bad JSON", () => {
    const processor = new JsonProcessor();
    expect(() => processor.parseText("{nope")).toThrow(DecodeError);
    expect(() => processor.parse(encoder.encode("{nope"))).toThrow(DecodeError);
  });

  it("decodes base64 to a binary string that is the text exactly when it is ASCII", () => {
    const ascii = Buffer.from('{"x":"y"}').toString("base64");
    expect(base64ToBinary(ascii)).toBe('{"x":"y"}');
    expect(isAsciiBinary(base64ToBinary(ascii))).toBe(true);
    const unicode = Buffer.from('{"x":"ü😀"}').toString("base64");
    const binary = base64ToBinary(unicode);
    expect(isAsciiBinary(binary)).toBe(false);
    expect(Buffer.from(binaryToBytes(binary)).toString()).toBe('{"x":"ü😀"}');
  });

  it("accepts the URL-safe alphabet that atob rejects, and rejects garbage with a DecodeError", () => {
    const bytes = new Uint8Array([251, 255, 191]);
    const urlSafe = Buffer.from(bytes).toString("base64url");
    expect([...binaryToBytes(base64ToBinary(urlSafe))]).toEqual([251, 255, 191]);
    expect(() => base64ToBinary("@@@@")).toThrow(DecodeError);
  });
});
