/** Your work for each record: write it somewhere, call an API, ... A throw ends the step; close() still commits what came before. */
export async function handle(record: { shardId: string; sequenceNumber: string; data: unknown }): Promise<void> {
  console.log(record.shardId, record.sequenceNumber, JSON.stringify(record.data));
}
