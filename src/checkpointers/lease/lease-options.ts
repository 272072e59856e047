import * as v from "valibot";
import { seconds } from "../../config/validate.ts";
import { ConfigError } from "../../errors.ts";

/** The lease settings every fleet checkpointer takes, with the DynamoDB Checkpointing Guide's defaults. */
export interface LeaseOptions {
  /** Consumer group name (required): part of every row key and every owner ref. */
  name: string;
  /** Seconds without a renewal after which another worker may take a lease over (default 60). */
  sessionTimeout?: number | undefined;
  /** Seconds between lease renewals (default 15); must be less than `sessionTimeout`. */
  heartbeatFrequency?: number | undefined;
  /** Write checkpoints on their own (default true); false buffers them until `manualCheckpoint()`. */
  autoCheckpoint?: boolean | undefined;
  /**
   * With `autoCheckpoint`, the longest a checkpoint waits before it is written, in seconds (default 5).
   * Checkpoints arriving meanwhile are coalesced into one write of the latest sequence.
   */
  checkpointInterval?: number | undefined;
  /** Hours a row lives after its last write (default 24). */
  ttlHours?: number | undefined;
  /**
   * A readable label (e.g. the host name) put in front of the random part of each worker id: refs look
   * like `<name>/<id>.<random>`. The random part is always there, because two workers sharing one ref
   * would both believe they own the same lease.
   */
  id?: string | undefined;
  /**
   * A stable identity for this worker (e.g. the pod or host name), kept across restarts: refs look like
   * `<name>/<workerId>.<random>`, and a restarted worker with the same `workerId` takes back, at once
   * instead of after `sessionTimeout`, the leases its previous process left behind (rows it finds at
   * start owned by `<name>/<workerId>.<other random>`), each with the conditional take any takeover
   * uses, which fences the old process. Two live processes given the same `workerId` by mistake still
   * never both own a lease: the newer takes the older's once, then they share by the usual handoff.
   * Use it instead of `id`, not with it.
   */
  workerId?: string | undefined;
}

export const LEASE_DEFAULTS = {
  sessionTimeout: 60,
  heartbeatFrequency: 15,
  autoCheckpoint: true,
  checkpointInterval: 5,
  ttlHours: 24,
} as const;

/** A group name forms row keys and the `<name>/<worker>` ref: no `/`, `#`, `:` or braces. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

const positiveSeconds = (label: string) => v.pipe(seconds(label), v.minValue(0.001, `${label} must be > 0`));

/** The valibot entries for `LeaseOptions`; `nameHint` says what else the name forms (a table name, keys). */
export function leaseOptionEntries(nameHint: string) {
  return {
    name: v.pipe(v.string("name is required and must be a string"), v.regex(GROUP_NAME, `name must be 1-200 characters of A-Z a-z 0-9 _ . - (${nameHint})`)),
    sessionTimeout: v.optional(positiveSeconds("sessionTimeout")),
    heartbeatFrequency: v.optional(positiveSeconds("heartbeatFrequency")),
    autoCheckpoint: v.optional(v.boolean("autoCheckpoint must be a boolean")),
    checkpointInterval: v.optional(positiveSeconds("checkpointInterval")),
    ttlHours: v.optional(v.pipe(v.number("ttlHours must be a number of hours"), v.finite("ttlHours must be finite"), v.minValue(0.01, "ttlHours must be > 0"))),
    id: v.optional(v.pipe(v.string("id must be a string"), v.regex(/^[A-Za-z0-9_.:-]{1,100}$/, "id must be 1-100 characters of A-Z a-z 0-9 _ . : -"))),
    workerId: v.optional(
      v.pipe(v.string("workerId must be a string"), v.regex(/^[A-Za-z0-9_.:-]{1,100}$/, "workerId must be 1-100 characters of A-Z a-z 0-9 _ . : -")),
    ),
  };
}

export interface ResolvedLeaseOptions {
  name: string;
  sessionTimeoutMs: number;
  heartbeatMs: number;
  checkpointIntervalMs: number;
  autoCheckpoint: boolean;
  ttlHours: number;
  id: string | undefined;
  /** A stable worker identity (see `LeaseOptions.workerId`); when set, `id` is undefined. */
  workerId?: string | undefined;
}

/** Defaults applied, and the combinations that cannot work refused with a `ConfigError` naming both options. */
export function resolveLeaseOptions(parsed: LeaseOptions): ResolvedLeaseOptions {
  const sessionTimeout = parsed.sessionTimeout ?? LEASE_DEFAULTS.sessionTimeout;
  const heartbeatFrequency = parsed.heartbeatFrequency ?? LEASE_DEFAULTS.heartbeatFrequency;
  if (heartbeatFrequency >= sessionTimeout) {
    // A lease must be renewed several times within its timeout, or one slow write loses it.
    throw new ConfigError("heartbeatFrequency", `heartbeatFrequency (${heartbeatFrequency} s) must be less than sessionTimeout (${sessionTimeout} s)`);
  }
  if (parsed.id !== undefined && parsed.workerId !== undefined) {
    // Both would label the ref; a stable workerId already is the readable part.
    throw new ConfigError("workerId", "give either id (a label) or workerId (a stable identity), not both");
  }
  const ttlHours = parsed.ttlHours ?? LEASE_DEFAULTS.ttlHours;
  if (ttlHours * 3600 <= sessionTimeout) {
    throw new ConfigError("ttlHours", `ttlHours (${ttlHours} h) must be longer than sessionTimeout (${sessionTimeout} s)`);
  }
  return {
    name: parsed.name,
    sessionTimeoutMs: sessionTimeout * 1000,
    heartbeatMs: heartbeatFrequency * 1000,
    checkpointIntervalMs: (parsed.checkpointInterval ?? LEASE_DEFAULTS.checkpointInterval) * 1000,
    autoCheckpoint: parsed.autoCheckpoint ?? LEASE_DEFAULTS.autoCheckpoint,
    ttlHours,
    id: parsed.id,
    ...(parsed.workerId === undefined ? {} : { workerId: parsed.workerId }),
  };
}
