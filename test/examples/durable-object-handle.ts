/**
 * Stands in for examples/durable-object/handle.ts when the example runs under test: every record the
 * object hands to `handle` is posted to the test's collector on loopback, so the test sees each delivery.
 */
export async function handle(record: { shardId: string; sequenceNumber: string; data: unknown }, env: unknown): Promise<void> {
  const url = (env as { COLLECTOR_URL: string }).COLLECTOR_URL;
  const response = await fetch(url, {
    method: "POST",
    body: JSON.stringify({ shardId: record.shardId, sequenceNumber: record.sequenceNumber, data: record.data }),
  });
  if (!response.ok) throw new Error(`collector answered ${response.status}`);
}
