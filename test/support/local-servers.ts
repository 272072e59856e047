import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";

const require = createRequire(import.meta.url);

export interface LocalServers {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${address.port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** kinesalite and dynalite in memory, with no artificial delays and a high shard limit. */
export async function startLocalServers(): Promise<LocalServers> {
  const kinesalite = require("kinesalite") as (options: object) => Server;
  const dynalite = require("dynalite") as (options: object) => Server;
  const kinesis = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
  const dynamodb = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [kinesisEndpoint, dynamodbEndpoint] = await Promise.all([listen(kinesis), listen(dynamodb)]);
  return {
    kinesisEndpoint,
    dynamodbEndpoint,
    close: async () => {
      await Promise.all([close(kinesis), close(dynamodb)]);
    },
  };
}
