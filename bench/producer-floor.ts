import { createHash } from "node:crypto";
import { Agent, request } from "node:http";
import { Buffer } from "node:buffer";
import { PUT_BATCH, SINK_STREAM } from "./sink-shape.ts";

/**
 * The produce floor: the least work any producer must do to put JSON events with PutRecords on Node,
 * with nothing of a client or a producer around it. Per record `JSON.stringify`, UTF-8 and base64
 * (Node's native `Buffer`); per 500 records one PutRecords JSON body (string concatenation, one UTF-8
 * encoding), its SHA-256 (`node:crypto`, what SigV4 needs of the body), one POST over `node:http` with
 * a keep-alive agent, and `JSON.parse` of the answer (a producer must read which entries failed).
 * Left out: the SigV4 HMACs (a few µs per request), validation, routing, queueing, rate limits,
 * retries and settling. The bench compares the producer and the SDK with this.
 */
export class ProduceFloor {
  readonly #agent = new Agent({ keepAlive: true, scheduling: "lifo" });
  readonly #url: URL;
  readonly #head = `{"StreamName":${JSON.stringify(SINK_STREAM)},"Records":[`;

  constructor(endpoint: string) {
    this.#url = new URL(endpoint);
  }

  /** Put one batch of events (each with the partition key at the same index) and check the answer. */
  async putBatch(events: readonly unknown[], keys: readonly string[]): Promise<void> {
    let text = this.#head;
    for (let i = 0; i < events.length; i++) {
      const data = Buffer.from(JSON.stringify(events[i])).toString("base64");
      text += `${i === 0 ? "" : ","}{"Data":"${data}","PartitionKey":${JSON.stringify(keys[i])}}`;
    }
    text += "]}";
    const body = Buffer.from(text);
    const hash = createHash("sha256").update(body).digest("hex");
    const answer = JSON.parse(await this.#post(body, hash)) as { Records?: unknown[]; FailedRecordCount?: number };
    if (answer.Records?.length !== PUT_BATCH || answer.FailedRecordCount !== 0) throw new Error("the floor's PutRecords got an unexpected answer");
  }

  #post(body: Buffer, hash: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const call = request(
        {
          hostname: this.#url.hostname,
          port: this.#url.port,
          path: "/",
          method: "POST",
          agent: this.#agent,
          headers: {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "Kinesis_20131202.PutRecords",
            "x-amz-content-sha256": hash,
            "content-length": String(body.length),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          response.on("error", reject);
        },
      );
      call.on("error", reject);
      call.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
