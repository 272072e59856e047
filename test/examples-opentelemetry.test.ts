/**
 * examples/opentelemetry.ts, the OpenTelemetry recipe: it type-checks against the library's own types
 * as a user's project would see them ("async-kinesis" mapped to src/), and what its instruments
 * observe at a collection equals `stats()` of a real consumer and producer on kinesalite. The meter
 * provider is a small one written here and registered through the API's `metrics.setGlobalMeterProvider`
 * (the OTel SDK is not a dependency): it runs the batch callbacks as an SDK's collection would.
 */
import { join, resolve } from "node:path";
import {
  type Attributes,
  type BatchObservableCallback,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  metrics,
  type Observable,
  type ObservableCallback,
} from "@opentelemetry/api";
import ts from "typescript";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import type { Consumer } from "../src/consumer/consumer.ts";
import type { Producer } from "../src/producer/producer.ts";
import { createStream, localKinesis } from "./support/clients.ts";
import { localConsumer, until } from "./consumer/harness.ts";
import { localProducer } from "./support/producer.ts";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * The example's entry point, loaded at run time: its `import type ... from "async-kinesis"` has no
 * package to resolve under this repository's tsconfig (the type-check test below maps it to src/).
 */
type ObserveKinesis = (options: { consumer?: unknown; producer?: unknown; attributes?: Attributes }) => () => void;
const loadExample = async (): Promise<ObserveKinesis> =>
  ((await import(pathToFileURL(join(ROOT, "examples/opentelemetry.ts")).href)) as { observeKinesis: ObserveKinesis }).observeKinesis;

class RecordedInstrument implements Observable {
  constructor(readonly name: string, readonly kind: "counter" | "gauge" | "updowncounter", readonly options: MetricOptions | undefined) {}
  addCallback(_callback: ObservableCallback): void {
    throw new Error("the recipe uses one batch callback, not per-instrument callbacks");
  }
  removeCallback(_callback: ObservableCallback): void {}
}

interface Observation {
  value: number;
  attributes: Attributes;
}

/** A meter that keeps its instruments and batch callbacks, and collects by calling them. */
class RecordingMeter implements Meter {
  readonly instruments: RecordedInstrument[] = [];
  readonly batches: Array<{ callback: BatchObservableCallback; observables: Observable[] }> = [];

  createObservableCounter(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, "counter", options);
  }
  createObservableGauge(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, "gauge", options);
  }
  createObservableUpDownCounter(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, "updowncounter", options);
  }
  createGauge(): never {
    throw new Error("synchronous instruments are not used by the recipe");
  }
  createCounter(): never {
    throw new Error("synchronous instruments are not used by the recipe");
  }
  createUpDownCounter(): never {
    throw new Error("synchronous instruments are not used by the recipe");
  }
  createHistogram(): never {
    throw new Error("synchronous instruments are not used by the recipe");
  }
  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.batches.push({ callback, observables });
  }
  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const i = this.batches.findIndex((b) => b.callback === callback && b.observables.length === observables.length);
    if (i >= 0) this.batches.splice(i, 1);
  }

  /** One collection: every observation by instrument name; an instrument observed outside its batch is an error, as in the SDK. */
  async collect(): Promise<Map<string, Observation[]>> {
    const out = new Map<string, Observation[]>();
    for (const batch of this.batches) {
      await batch.callback({
        observe(metric, value, attributes = {}) {
          if (!batch.observables.includes(metric)) throw new Error("observed an instrument not registered with this callback");
          const name = (metric as RecordedInstrument).name;
          out.set(name, [...(out.get(name) ?? []), { value, attributes }]);
        },
      });
    }
    return out;
  }

  #instrument(name: string, kind: RecordedInstrument["kind"], options: MetricOptions | undefined): Observable {
    const instrument = new RecordedInstrument(name, kind, options);
    this.instruments.push(instrument);
    return instrument;
  }
}

const meter = new RecordingMeter();
const meterNames: string[] = [];
const provider: MeterProvider = {
  getMeter: (name) => {
    meterNames.push(name);
    return meter;
  },
};
afterAll(() => metrics.disable());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The single observation of `name` with exactly these attributes. */
function observed(collection: Map<string, Observation[]>, name: string, attributes: Attributes): number | undefined {
  const matches = (collection.get(name) ?? []).filter((o) =>
    JSON.stringify(Object.entries(o.attributes).sort()) === JSON.stringify(Object.entries(attributes).sort())
  );
  expect(matches.length, `${name} ${JSON.stringify(attributes)}`).toBeLessThanOrEqual(1);
  return matches[0]?.value;
}

describe("examples/opentelemetry.ts", () => {
  it("type-checks under the library's strict settings, with async-kinesis resolved to this repository", () => {
    const file = join(ROOT, "examples/opentelemetry.ts");
    const program = ts.createProgram([file], {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      allowImportingTsExtensions: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.esnext.disposable.d.ts"],
      types: [],
      baseUrl: ROOT,
      paths: { "async-kinesis": ["src/index.ts"] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(diagnostics).toEqual([]);
  }, 120_000);

  it("observes, at each collection through the global meter provider, what consumer.stats() and producer.stats() say; stop() unregisters", async () => {
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    const stream = await createStream(localKinesis(), 2, "otel");
    const producer: Producer<{ n: number }> = localProducer(stream);
    closers.push(() => producer.close());
    for (let n = 0; n < 20; n++) await producer.put({ n }, `key-${n}`);
    await producer.flush();
    const consumer: Consumer<{ n: number }> = localConsumer(stream, { idleTimeout: 30 });
    closers.push(() => consumer.close());
    const items: unknown[] = [];
    void (async () => {
      for await (const item of consumer) items.push(item);
    })().catch(() => undefined);
    await until(() => items.length === 20, "every item consumed");

    const observeKinesis = await loadExample();
    const stop = observeKinesis({ consumer, producer, attributes: { "kinesis.stream": stream } });
    expect(meterNames).toEqual(["async-kinesis"]);
    const collection = await meter.collect();
    const base = { "kinesis.stream": stream };
    const c = consumer.stats();
    const p = producer.stats();
    expect(c.recordsFetched).toBe(20);
    expect(observed(collection, "kinesis.consumer.records.fetched", base)).toBe(c.recordsFetched);
    expect(observed(collection, "kinesis.consumer.bytes.fetched", base)).toBe(c.bytesFetched);
    expect(observed(collection, "kinesis.consumer.records.delivered", base)).toBe(c.recordsDelivered);
    expect(observed(collection, "kinesis.consumer.bytes.delivered", base)).toBe(c.bytesDelivered);
    expect(observed(collection, "kinesis.consumer.throttles", base)).toBe(c.throttles);
    expect(observed(collection, "kinesis.consumer.checkpoint.writes", base)).toBe(c.checkpointWrites);
    expect(observed(collection, "kinesis.consumer.leases.held", base)).toBe(2);
    expect(observed(collection, "kinesis.consumer.queue.records", base)).toBe(c.queuedRecords);
    const shardIds = Object.keys(c.shards);
    expect(shardIds).toHaveLength(2);
    for (const shardId of shardIds) {
      const attributes = { ...base, "kinesis.shard.id": shardId };
      expect(observed(collection, "kinesis.consumer.shard.lag", attributes)).toBe(c.shards[shardId]!.millisBehindLatest! / 1000);
      expect(observed(collection, "kinesis.consumer.shard.erroring", attributes)).toBe(0);
    }
    expect(p.recordsPut).toBe(20);
    expect(observed(collection, "kinesis.producer.records.put", base)).toBe(p.recordsPut);
    expect(observed(collection, "kinesis.producer.bytes.put", base)).toBe(p.bytesPut);
    expect(observed(collection, "kinesis.producer.requests", base)).toBe(p.requests);
    expect(observed(collection, "kinesis.producer.records.failed", base)).toBe(0);
    expect(observed(collection, "kinesis.producer.queue.records", base)).toBe(0);

    const kinds = Object.fromEntries(meter.instruments.map((i) => [i.name, [i.kind, i.options?.unit]]));
    expect(kinds["kinesis.consumer.records.fetched"]).toEqual(["counter", "{record}"]);
    expect(kinds["kinesis.consumer.bytes.fetched"]).toEqual(["counter", "By"]);
    expect(kinds["kinesis.consumer.shard.lag"]).toEqual(["gauge", "s"]);
    expect(kinds["kinesis.consumer.leases.held"]).toEqual(["gauge", "{lease}"]);

    stop();
    expect((await meter.collect()).size).toBe(0);
  });
});
