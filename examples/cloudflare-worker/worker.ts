// A cron-triggered Worker that consumes a Kinesis stream one bounded step at a time: each run stops
// inside the platform's limits (items, wall time, subrequests), commits, and releases its leases in
// DynamoDB, so the next run starts right after the last record it handled. A run killed mid-way
// loses nothing: its leases expire after sessionTimeout and a later run resumes after its checkpoint.
import { Consumer, DynamoDBCheckPointer } from "async-kinesis";
import { handle } from "./handle.ts";

export interface Env {
  STREAM_NAME: string;
  CHECKPOINT_GROUP: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  /** The step's bounds (see wrangler.toml). */
  STEP_RECORDS: string;
  STEP_SECONDS: string;
  STEP_REQUESTS: string;
  /** Seconds before a dead run's lease may be taken; keep it well under STEP_SECONDS. */
  SESSION_TIMEOUT: string;
  /** Optional: local servers for development (http allowed). */
  KINESIS_ENDPOINT?: string;
  DYNAMODB_ENDPOINT?: string;
}

export default {
  async scheduled(_controller: unknown, env: Env): Promise<void> {
    const aws = { region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } };
    const sessionTimeout = Number(env.SESSION_TIMEOUT);
    await using consumer = new Consumer({
      ...aws,
      endpoint: env.KINESIS_ENDPOINT,
      streamName: env.STREAM_NAME,
      checkpointer: new DynamoDBCheckPointer({
        ...aws,
        endpoint: env.DYNAMODB_ENDPOINT,
        name: env.CHECKPOINT_GROUP,
        sessionTimeout,
        heartbeatFrequency: sessionTimeout / 4,
      }),
      stopAfter: { records: Number(env.STEP_RECORDS), seconds: Number(env.STEP_SECONDS), requests: Number(env.STEP_REQUESTS) },
    });
    for await (const record of consumer.records()) await handle(record);
  },
};
