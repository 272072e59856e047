/**
 * `async-kinesis/admin`: checkpoint administration for operators — see a group's positions with lag,
 * move them (`resetCheckpoints`), carry them from Redis to DynamoDB and back (`migrateCheckpoints`),
 * and take over what a Python async-kinesis fleet wrote (`importPythonCheckpoints`). Web APIs only;
 * the `async-kinesis` command line tool's `checkpoints` verbs are built on these.
 */
export { listCheckpoints } from "./list.ts";
export type { CheckpointRow, LagSource, ListCheckpointsOptions } from "./list.ts";
export { resetCheckpoints } from "./reset.ts";
export type { ResetCheckpointsOptions, ResetCheckpointsResult } from "./reset.ts";
export { migrateCheckpoints } from "./migrate.ts";
export type { MigrateCheckpointsOptions, MigrateCheckpointsResult } from "./migrate.ts";
export { importPythonCheckpoints } from "./python.ts";
export type { ImportPythonCheckpointsOptions, ImportPythonCheckpointsResult, PythonCheckpointSource } from "./python.ts";
export type { CheckpointChange } from "./apply.ts";
export type { AdminCallOptions, AdminCopyOptions, AdminWriteOptions } from "./options.ts";
export type { CheckpointStoreSpec, DynamoDBCheckPointerLike, RedisCheckPointerLike } from "./target.ts";
export { describePosition, parseResetTo } from "./position.ts";
export type { Position, ResetTo } from "./position.ts";
export { formatChanges, formatCheckpointTable, formatLag } from "./format.ts";
export { CheckpointConflictError, LiveLeasesError } from "../errors.ts";
