/**
 * Bad input to the administration functions is a ConfigError naming the option, before any request.
 */
import { describe, expect, it } from "vitest";
import { parseResetTo } from "../../src/admin/position.ts";
import { resetCheckpoints } from "../../src/admin/reset.ts";
import { migrateCheckpoints } from "../../src/admin/migrate.ts";
import { importPythonCheckpoints } from "../../src/admin/python.ts";
import { ConfigError } from "../../src/errors.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";

/** Any request is a failure of these tests: the checks must come first. */
const noRequests = new Proxy({}, {
  get: () => () => Promise.reject(new Error("a request was sent")),
}) as KinesisClient;
const redis = { sendCommand: () => Promise.reject(new Error("a command was sent")) };

async function optionOf(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).option;
}

describe("administration options", () => {
  it("parseResetTo takes trim-horizon, latest, an ISO time or a sequence number, and names `to` otherwise", () => {
    expect(parseResetTo("trim-horizon")).toBe("trim-horizon");
    expect(parseResetTo("latest")).toBe("latest");
    expect(parseResetTo("2026-11-30T09:00:00Z")).toEqual(new Date("2026-11-30T09:00:00Z"));
    expect(parseResetTo("49590338271490256608559692538361571095921575989136588898")).toBe("49590338271490256608559692538361571095921575989136588898");
    expect(() => parseResetTo("yesterday")).toThrow(ConfigError);
    expect(() => parseResetTo("2026-13-45T99:00:00Z")).toThrow(/to must be/);
  });

  it("a reset time without a time zone is refused (it would mean another instant on a machine in another zone); a date alone is midnight UTC", () => {
    expect(() => parseResetTo("2026-11-30T09:00:00")).toThrow(ConfigError);
    expect(() => parseResetTo("2026-11-30T09:00:00")).toThrow(/to: .*no time zone/);
    expect(parseResetTo("2026-11-30T09:00:00+02:00")).toEqual(new Date("2026-11-30T07:00:00Z"));
    expect(parseResetTo("2026-11-30")).toEqual(new Date("2026-11-30T00:00:00Z"));
  });

  it("each function refuses a bad option with a ConfigError naming it, before sending anything", async () => {
    const base = { store: { redis }, group: "g", stream: "s", kinesis: noRequests, to: "latest" as const };
    expect(await optionOf(resetCheckpoints({ ...base, group: undefined }))).toBe("group");
    expect(await optionOf(resetCheckpoints({ ...base, group: "a/b" }))).toBe("group");
    expect(await optionOf(resetCheckpoints({ ...base, stream: "" }))).toBe("stream");
    expect(await optionOf(resetCheckpoints({ ...base, ttlHours: -1 }))).toBe("ttlHours");
    expect(await optionOf(resetCheckpoints({ ...base, sessionTimeout: 0 }))).toBe("sessionTimeout");
    expect(await optionOf(resetCheckpoints({ ...base, to: "soon" }))).toBe("to");
    expect(await optionOf(resetCheckpoints({ ...base, to: new Date(Number.NaN) }))).toBe("to");
    expect(await optionOf(resetCheckpoints({ ...base, store: {} as never }))).toBe("store");
    expect(await optionOf(migrateCheckpoints({ from: { redis }, to: { redis }, group: undefined }))).toBe("group");
    expect(await optionOf(importPythonCheckpoints({ from: { redis }, name: "", stream: "s", kinesis: noRequests, to: { redis } }))).toBe("name");
  });
});
