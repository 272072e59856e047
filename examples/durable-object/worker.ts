// A Durable Object that consumes a Kinesis stream one bounded step per alarm, with its leases and
// checkpoints in its own storage: no DynamoDB, no Redis. Each alarm reads at most `STEP_RECORDS`
// items (or 20 s, or 40 requests), commits, releases, and schedules the next alarm; the next step
// resumes right after the last item handled. An alarm that dies mid-way loses nothing: its leases
// expire after sessionTimeout and a later alarm resumes after the last checkpoint.
//
//   wrangler deploy, then: curl -X POST https://<your worker>/start   (and GET /status)
import { Consumer, DurableObjectCheckPointer, type DurableObjectStorageLike } from "async-kinesis";
import { handle } from "./handle.ts";

export interface Env {
  CONSUMER: DurableObjectNamespaceLike;
  STREAM_NAME: string;
  CHECKPOINT_GROUP: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  /** Optional: a local Kinesis for development (http allowed). */
  KINESIS_ENDPOINT?: string;
  /** Optional: items per step (default 500) and seconds between steps (default 60). */
  STEP_RECORDS?: string;
  STEP_INTERVAL?: string;
}

/** The parts of the Workers types this file uses (install @cloudflare/workers-types for the full ones). */
interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}
interface DurableObjectStateLike {
  storage: DurableObjectStorageLike & { put(key: string, value: unknown): Promise<void>; setAlarm(at: number): Promise<void> };
}

export class KinesisConsumer {
  readonly #state: DurableObjectStateLike;
  readonly #env: Env;

  constructor(state: DurableObjectStateLike, env: Env) {
    this.#state = state;
    this.#env = env;
  }

  /** POST /start schedules the first step; GET /status tells the steps run and the checkpoints. */
  async fetch(request: Request): Promise<Response> {
    const storage = this.#state.storage;
    if (new URL(request.url).pathname === "/start") {
      await storage.setAlarm(Date.now());
      return new Response("started\n");
    }
    const checkpointer = new DurableObjectCheckPointer({ name: this.#env.CHECKPOINT_GROUP, storage });
    return Response.json({ steps: (await storage.get("steps")) ?? 0, checkpoints: await checkpointer.listCheckpoints() });
  }

  /** One bounded step, then the next alarm. */
  async alarm(): Promise<void> {
    const env = this.#env;
    const storage = this.#state.storage;
    const consumer = new Consumer({
      streamName: env.STREAM_NAME,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      endpoint: env.KINESIS_ENDPOINT,
      checkpointer: new DurableObjectCheckPointer({ name: env.CHECKPOINT_GROUP, storage }),
      stopAfter: { records: Number(env.STEP_RECORDS ?? 500), seconds: 20, requests: 40 },
      idleTimeout: 1,
    });
    try {
      for await (const record of consumer.records()) await handle(record, env);
    } finally {
      // Commits the last item and releases the leases, so the next alarm starts right after it.
      await consumer.close();
    }
    await storage.put("steps", (((await storage.get("steps")) as number | undefined) ?? 0) + 1);
    await storage.setAlarm(Date.now() + Number(env.STEP_INTERVAL ?? 60) * 1000);
  }
}

/** The Worker in front: every request goes to the one consumer object. */
export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.CONSUMER.get(env.CONSUMER.idFromName(env.CHECKPOINT_GROUP)).fetch(request);
  },
};
