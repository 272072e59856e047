import { gzipSync } from "node:zlib";
import type { BenchContext, Measurement } from "./context.ts";
import { bundleEntry, type Platform } from "./entries.ts";
import type { Row } from "./table.ts";

/** Bytes a user ships: esbuild bundle (minified, tree-shaken), then gzip -9, for Node and for browsers. */
export const bundleSize: Measurement = {
  id: "bundle-size",
  async run(context: BenchContext) {
    const rows: Row[] = [];
    const notes: string[] = [];
    for (const platform of ["node", "browser"] as const) {
      const ours = await weigh("ours", platform, context.root, false);
      const sdk = await weigh("sdk", platform, context.root, false);
      const sdkWithCommands = await weigh("sdk", platform, context.root, true);
      context.log(`bundle-size ${platform}: ours ${ours.gzip} B gz, SDK ${sdk.gzip} B gz, SDK + commands ${sdkWithCommands.gzip} B gz`);
      rows.push(
        { name: `${platform}: min+gzip, construct both clients`, unit: "KiB", better: "lower", ours: ours.gzip / 1024, baseline: sdk.gzip / 1024, target: 10 },
        { name: `${platform}: min+gzip, + commands used`, unit: "KiB", better: "lower", ours: ours.gzip / 1024, baseline: sdkWithCommands.gzip / 1024 },
      );
      notes.push(
        `${platform} minified before gzip: ours ${(ours.raw / 1024).toFixed(1)} KiB, SDK ${(sdk.raw / 1024).toFixed(1)} KiB, SDK + commands ${
          (sdkWithCommands.raw / 1024).toFixed(1)
        } KiB.`,
      );
    }
    notes.push(
      "Entry: import KinesisClient + DynamoDBClient and construct both (SDK on node with NodeHttpHandler). " +
        '"+ commands used" also imports the SDK commands a consumer, producer and DynamoDB checkpointer send; ' +
        "ours is the same bundle in both rows because every operation is a method of the client.",
      "esbuild --bundle --minify --format=esm, node builtins external; gzip level 9.",
    );
    return [{ title: "Bundle size", baseline: "AWS SDK v3", rows, notes }];
  },
};

async function weigh(side: "ours" | "sdk", platform: Platform, root: string, withCommands: boolean): Promise<{ raw: number; gzip: number }> {
  const bytes = await bundleEntry({ side, platform, root, withCommands });
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
