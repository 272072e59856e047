import type { ConditionalWrite } from "../../dynamodb/client.ts";
import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import { epochSeconds } from "../lease/lease-row.ts";
import type { OwnerWriteKind } from "../lease/lease-rules.ts";
import { ATTR, keyItem, sequenceOrder } from "./row.ts";

/**
 * Every conditional write the lease protocol makes, as plain UpdateItem inputs (pure, no I/O).
 *
 * Fencing: every owner write is conditional on `ref = me AND lease_counter = <the counter I last saw>`
 * and bumps the counter, so a paused ex-owner's late write can never land after a takeover. Takes are
 * conditional on the counter the taker observed, so of two racing takers exactly one wins. The
 * handoff request alone leaves the counter alone: it must not break the owner's fencing.
 */
export type UpdateInput = ConditionalWrite & { Key: Item; UpdateExpression: string };

/** When a write happens and until when its row must live. */
export interface WriteStamp {
  nowMs: number;
  /** Epoch seconds for `ttl`. */
  ttl: number;
}

/** Collects only the names and values an expression uses (DynamoDB rejects unused ones). */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};

  name(attribute: string): string {
    const placeholder = `#${attribute.replace(/[^A-Za-z0-9]/g, "")}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(placeholder: string, value: AttributeValue): string {
    this.values[`:${placeholder}`] = value;
    return `:${placeholder}`;
  }

  build(table: string, key: string, update: string, condition: string): UpdateInput {
    return {
      TableName: table,
      Key: keyItem(key),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
      ReturnValues: "ALL_NEW",
      // Real DynamoDB (and DynamoDB Local) then return the current row with the failure, saving a read.
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    };
  }

  stamp(stamp: WriteStamp): string[] {
    return [
      `${this.name(ATTR.updatedAt)} = ${this.value("ts", { N: epochSeconds(stamp.nowMs) })}`,
      `${this.name(ATTR.ttl)} = ${this.value("ttl", { N: String(stamp.ttl) })}`,
    ];
  }

  bump(): string {
    const counter = this.name(ATTR.counter);
    return `${counter} = ${counter} + ${this.value("one", { N: "1" })}`;
  }
}

/**
 * A shard nobody has written yet: create its row, owned by `me`. With an incarnation, a row written for
 * another incarnation of the stream is replaced instead: everything it said is cleared, and its counter
 * moves on (never back to 1), so its old owner's late writes stay fenced.
 */
export function createLease(
  table: string,
  key: string,
  where: { group: string; stream: string; shardId: string; incarnation: string | undefined },
  me: string,
  stamp: WriteStamp,
): UpdateInput {
  const e = new Expression();
  const counter = e.name(ATTR.counter);
  const sets = [
    `${e.name(ATTR.owner)} = ${e.value("me", { S: me })}`,
    `${counter} = if_not_exists(${counter}, ${e.value("zero", { N: "0" })}) + ${e.value("one", { N: "1" })}`,
    ...e.stamp(stamp),
    `${e.name(ATTR.finished)} = ${e.value("false", { BOOL: false })}`,
    `${e.name(ATTR.group)} = ${e.value("group", { S: where.group })}`,
    `${e.name(ATTR.stream)} = ${e.value("stream", { S: where.stream })}`,
    `${e.name(ATTR.shard)} = ${e.value("shard", { S: where.shardId })}`,
  ];
  let condition = `attribute_not_exists(${e.name(ATTR.key)})`;
  if (where.incarnation !== undefined) {
    const incarnation = e.name(ATTR.incarnation);
    const mine = e.value("incarnation", { S: where.incarnation });
    sets.push(`${incarnation} = ${mine}`);
    condition += ` OR (attribute_exists(${incarnation}) AND ${incarnation} <> ${mine})`;
  }
  const removes = [ATTR.sequence, ATTR.sequenceOrder, ATTR.pendingOwner, ATTR.startAt, ATTR.bytesPerSecond].map((a) => e.name(a));
  return e.build(table, key, `SET ${sets.join(", ")} REMOVE ${removes.join(", ")}`, condition);
}

/**
 * Take a free, expired or reserved-for-me lease: conditional on the counter this worker observed and
 * on the owner it observed (none for a free row). Clears any handoff request.
 */
export function takeLease(
  table: string,
  key: string,
  me: string,
  expected: { counter: number; owner?: string | undefined },
  stamp: WriteStamp,
): UpdateInput {
  const e = new Expression();
  const owner = e.name(ATTR.owner);
  const counter = e.name(ATTR.counter);
  const sets = [`${owner} = ${e.value("me", { S: me })}`, e.bump(), ...e.stamp(stamp)];
  const ownerCondition = expected.owner === undefined ? `attribute_not_exists(${owner})` : `${owner} = ${e.value("owner", { S: expected.owner })}`;
  const condition = `${counter} = ${e.value("counter", { N: String(expected.counter) })} AND ${ownerCondition}`;
  return e.build(table, key, `SET ${sets.join(", ")} REMOVE ${e.name(ATTR.pendingOwner)}`, condition);
}

/**
 * An owner's renew, release or finish (see `OwnerWriteKind`) as an UpdateItem. A carried sequence must
 * be later than the stored one (by `sequence_order`): a checkpoint never moves backwards, whatever
 * the writer believes. A carried start is kept only if the row has none; a carried rate (bytes per
 * second, for balance by load) replaces the stored one.
 */
export function ownerWrite(
  kind: OwnerWriteKind,
  table: string,
  key: string,
  me: string,
  counter: number,
  stamp: WriteStamp,
  sequence?: string,
  startAt?: number,
  bytesPerSecond?: number,
): UpdateInput {
  const e = new Expression();
  const owner = e.name(ATTR.owner);
  const sets = [e.bump(), ...e.stamp(stamp)];
  let forward = "";
  if (sequence !== undefined) {
    sets.push(`${e.name(ATTR.sequence)} = ${e.value("seq", { S: sequence })}`);
    const order = sequenceOrder(sequence);
    if (order !== undefined) {
      const stored = e.name(ATTR.sequenceOrder);
      const mine = e.value("order", { S: order });
      sets.push(`${stored} = ${mine}`);
      forward = ` AND (attribute_not_exists(${stored}) OR ${stored} < ${mine})`;
    }
  }
  if (startAt !== undefined) {
    const start = e.name(ATTR.startAt);
    sets.push(`${start} = if_not_exists(${start}, ${e.value("start", { N: String(Math.round(startAt)) })})`);
  }
  if (bytesPerSecond !== undefined) sets.push(`${e.name(ATTR.bytesPerSecond)} = ${e.value("rate", { N: String(Math.round(bytesPerSecond)) })}`);
  const removes: string[] = [];
  if (kind === "finish") {
    sets.push(`${e.name(ATTR.finished)} = ${e.value("true", { BOOL: true })}`);
    removes.push(owner, e.name(ATTR.pendingOwner));
  } else if (kind === "release") {
    // `pending_owner` stays: a released row with a pending owner is reserved for that worker.
    removes.push(owner);
  }
  const update = `SET ${sets.join(", ")}${removes.length > 0 ? ` REMOVE ${removes.join(", ")}` : ""}`;
  const condition = `${owner} = ${e.value("me", { S: me })} AND ${e.name(ATTR.counter)} = ${e.value("counter", { N: String(counter) })}${forward}`;
  return e.build(table, key, update, condition);
}

/** Withdraw `me`'s handoff request: clear `pending_owner` if it still names `me`. */
export function cancelHandoff(table: string, key: string, me: string): UpdateInput {
  const e = new Expression();
  const pending = e.name(ATTR.pendingOwner);
  return e.build(table, key, `REMOVE ${pending}`, `${pending} = ${e.value("me", { S: me })}`);
}

/**
 * Ask `owner` to hand the shard over: sets `pending_owner = me` only. No counter bump, no `ts`: the
 * owner's fenced writes still match, and it sees the request in the row its next write returns.
 */
export function requestHandoff(table: string, key: string, me: string, owner: string): UpdateInput {
  const e = new Expression();
  const pending = e.name(ATTR.pendingOwner);
  const update = `SET ${pending} = ${e.value("me", { S: me })}`;
  const condition = `${e.name(ATTR.owner)} = ${e.value("owner", { S: owner })} AND attribute_not_exists(${pending})`;
  return e.build(table, key, update, condition);
}
