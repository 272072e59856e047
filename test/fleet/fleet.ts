/**
 * In-process fleet workers for the fleet tests: each worker is a Consumer with its own
 * DynamoDBCheckPointer (its own session, identity and DynamoDB client, as a separate process would
 * have), iterating on its own and writing every delivery and event to a timeline. Plus a sampler
 * that watches which shards each consumer reads.
 */
import { inject } from "vitest";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { testCredentials } from "../support/clients.ts";
import type { Item } from "../support/delivery-checks.ts";
import type { Delivery, TimedEvent } from "./checks.ts";

/** Short leases so takeovers fit a test: 3 s session, 0.5 s heartbeat, so the allocate loop runs every 0.25 s. */
export const SESSION_TIMEOUT = 3;
export const HEARTBEAT = 0.5;
/** The consumer's allocate interval with a DynamoDBCheckPointer: half a heartbeat. */
export const ALLOCATE_INTERVAL = HEARTBEAT / 2;

export interface FleetPlace {
  streamName: string;
  tableName: string;
  group: string;
}

export interface WorkerExtras {
  /** The checkpointer's fetch (to pause its DynamoDB traffic). */
  dynamoFetch?: typeof fetch;
  /** The checkpointer's endpoint (a fault proxy). */
  dynamoEndpoint?: string;
  checkpointer?: Partial<DynamoDBCheckPointerOptions>;
}

export function fleetCheckpointer(place: FleetPlace, extras: WorkerExtras = {}): DynamoDBCheckPointer {
  return new DynamoDBCheckPointer({
    name: place.group,
    tableName: place.tableName,
    endpoint: extras.dynamoEndpoint ?? inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    sessionTimeout: SESSION_TIMEOUT,
    heartbeatFrequency: HEARTBEAT,
    ...(extras.dynamoFetch === undefined ? {} : { fetch: extras.dynamoFetch }),
    ...extras.checkpointer,
  });
}

export class FleetWorker {
  readonly name: string;
  readonly checkpointer: DynamoDBCheckPointer;
  readonly consumer: Consumer<Item>;
  readonly deliveries: Delivery[] = [];
  readonly events: TimedEvent[] = [];
  /** When close() was called: no event marks the end of the leases a closing worker gives back. */
  stoppedAt: number | undefined;
  /** Iteration's end; rejects with what ended it if that was an error. */
  readonly done: Promise<void>;

  constructor(name: string, place: FleetPlace, extras: WorkerExtras = {}) {
    this.name = name;
    this.checkpointer = fleetCheckpointer(place, extras);
    const consumer = new Consumer<Item>({
      streamName: place.streamName,
      checkpointer: this.checkpointer,
      endpoint: inject("kinesisEndpoint"),
      region: "us-east-1",
      credentials: testCredentials,
      shardFetchRate: 5,
      onEvent: (event: ConsumerEvent) => {
        if (event.type !== "fetched") this.events.push({ worker: name, at: Date.now(), event });
      },
    });
    this.consumer = consumer;
    this.done = (async () => {
      for await (const record of consumer.records()) {
        this.deliveries.push({ worker: name, id: record.data.id, shardId: record.shardId, sequenceNumber: record.sequenceNumber, at: Date.now() });
      }
    })();
  }

  get shards(): string[] {
    return this.consumer.shards;
  }

  /** Events of one type, in order. */
  eventsOf<K extends ConsumerEvent["type"]>(type: K): Array<{ at: number; event: Extract<ConsumerEvent, { type: K }> }> {
    return this.events.filter((e) => e.event.type === type) as unknown as Array<{ at: number; event: Extract<ConsumerEvent, { type: K }> }>;
  }

  async close(): Promise<void> {
    this.stoppedAt ??= Date.now();
    await this.consumer.close();
    await this.checkpointer.close();
    await this.done;
  }
}

export interface OwnershipWatch {
  /** Samples taken so far. */
  readonly samples: number;
  /** Moments two consumers read the same shard, described. */
  readonly overlaps: string[];
  stop(): void;
}

/** Look at every worker's `consumer.shards` every `everyMs` and note any shard read by two at once. */
export function watchOwnership(workers: readonly FleetWorker[], everyMs = 5): OwnershipWatch {
  const overlaps: string[] = [];
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    const owner = new Map<string, string>();
    for (const worker of workers) {
      for (const shardId of worker.shards) {
        const other = owner.get(shardId);
        if (other !== undefined && overlaps.length < 20) overlaps.push(`${shardId} read by ${other} and ${worker.name} at ${Date.now()}`);
        owner.set(shardId, worker.name);
      }
    }
  }, everyMs);
  return {
    get samples() {
      return samples;
    },
    overlaps,
    stop: () => clearInterval(timer),
  };
}

/** How many shards each worker reads, largest first: `[2, 1, 1]`. */
export function shardCounts(workers: readonly FleetWorker[]): number[] {
  return workers.map((w) => w.shards.length).sort((a, b) => b - a);
}
