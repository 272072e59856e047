import { describe, expect, it } from "vitest";
import { describeTransportFailure } from "../src/aws/transport-failure.ts";

/** Node's fetch failures, shaped as undici throws them. */
function nodeFetchFailure(inner: Error): TypeError {
  return new TypeError("fetch failed", { cause: inner });
}

describe("describeTransportFailure", () => {
  it("names the system error hidden in the cause of Node's 'fetch failed'", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4567"), { code: "ECONNREFUSED" });
    expect(describeTransportFailure(nodeFetchFailure(refused))).toBe("fetch failed: connect ECONNREFUSED 127.0.0.1:4567");
  });

  it("names the code of an AggregateError (one refusal per address) and its first member", () => {
    const perAddress = [Object.assign(new Error("connect ECONNREFUSED ::1:4567"), { code: "ECONNREFUSED" })];
    const aggregate = Object.assign(new AggregateError(perAddress, ""), { code: "ECONNREFUSED" });
    expect(describeTransportFailure(nodeFetchFailure(aggregate))).toBe("fetch failed: ECONNREFUSED: connect ECONNREFUSED ::1:4567");
  });

  it("keeps a runtime's own message when it already says everything (Deno, Bun)", () => {
    const deno = new TypeError("error sending request for url (http://nowhere.invalid/): dns error: failed to lookup address");
    expect(describeTransportFailure(deno)).toBe(deno.message);
  });

  it("stops on a cause chain that loops", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeTransportFailure(a)).toBe("a: b");
  });
});
