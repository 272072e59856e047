/** Your work for each record: write it somewhere, call an API, ... A throw ends the step; the record is delivered again next alarm. */
export async function handle(record: { shardId: string; sequenceNumber: string; data: unknown }, _env: unknown): Promise<void> {
  console.log(record.shardId, record.sequenceNumber, JSON.stringify(record.data));
}
