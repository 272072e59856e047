import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import { parseFrom } from "../../src/node/cli/tail.ts";

describe("tail --from", () => {
  it("a time without a time zone is a ConfigError naming --from (JavaScript would read it in this machine's zone)", () => {
    expect(() => parseFrom("2026-01-31T12:00:00")).toThrow(ConfigError);
    expect(() => parseFrom("2026-01-31T12:00:00")).toThrow(/--from: .*no time zone/);
  });

  it("a time with Z or an offset, a date alone (midnight UTC), latest and trim-horizon are taken", () => {
    expect(parseFrom("2026-01-31T12:00:00Z")).toEqual({ iteratorType: "AT_TIMESTAMP", timestamp: new Date("2026-01-31T12:00:00Z") });
    expect(parseFrom("2026-01-31T12:00:00-05:00")).toEqual({ iteratorType: "AT_TIMESTAMP", timestamp: new Date("2026-01-31T17:00:00Z") });
    expect(parseFrom("2026-01-31")).toEqual({ iteratorType: "AT_TIMESTAMP", timestamp: new Date("2026-01-31T00:00:00Z") });
    expect(parseFrom(undefined)).toEqual({ iteratorType: "LATEST" });
    expect(parseFrom("trim-horizon")).toEqual({ iteratorType: "TRIM_HORIZON" });
    expect(() => parseFrom("yesterday")).toThrow(/--from: must be latest/);
  });
});
