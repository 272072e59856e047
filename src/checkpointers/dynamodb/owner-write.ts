import type { DynamoDBClient } from "../../dynamodb/client.ts";
import type { Item } from "../../dynamodb/marshal.ts";
import { AwsServiceError } from "../../errors.ts";
import { runFencedWrite, type FencedWriteContext, type OwnerWriteOptions, type OwnerWriteResult } from "../lease/fenced-write.ts";
import type { HeldLease } from "../lease/held-lease.ts";
import type { OwnerWriteKind } from "../lease/lease-rules.ts";
import type { LeaseRow } from "../lease/lease-row.ts";
import { ownerWrite, type UpdateInput, type WriteStamp } from "./lease-writes.ts";
import { decodeRow, keyItem } from "./row.ts";

export interface WriterContext extends FencedWriteContext {
  client: DynamoDBClient;
  table: string;
  stamp(kind: OwnerWriteKind): WriteStamp;
  signal: AbortSignal;
}

export function isConditionalFailure(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError && error.awsCode === "ConditionalCheckFailedException";
}

/** One fenced owner write to DynamoDB: an UpdateItem, and on a failed condition the row as it is. */
export function writeAsOwner(context: WriterContext, lease: HeldLease, kind: OwnerWriteKind, options: OwnerWriteOptions): Promise<OwnerWriteResult> {
  return runFencedWrite(context, lease, kind, options, async (write) => {
    const input: UpdateInput = ownerWrite(kind, context.table, lease.key, context.me, write.counter, context.stamp(kind), write.sequence);
    try {
      const out = await context.client.updateItem(input, { signal: context.signal });
      return { landed: true, row: out.Attributes === undefined ? undefined : decodeRow(out.Attributes) };
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      return { landed: false, current: await currentRow(context, lease.key, error) };
    }
  });
}

/** The row as it is now: from the failure itself (ReturnValuesOnConditionCheckFailure) or a consistent read. */
export async function currentRow(context: Pick<WriterContext, "client" | "table" | "signal">, key: string, failure: AwsServiceError): Promise<LeaseRow | undefined> {
  if (failure.item !== undefined) return decodeRow(failure.item as Item);
  const item = await context.client.getItem(context.table, keyItem(key), { consistentRead: true, signal: context.signal });
  return item === undefined ? undefined : decodeRow(item);
}
