import * as v from "valibot";
import { ConfigError } from "../../errors.ts";

/**
 * The production options of a table this checkpointer creates (the guide's production practices):
 * cost-allocation tags, and point-in-time recovery so a bad deploy's checkpoints can be rolled back.
 * AWS's tagging limits are checked here, so a bad tag is a `ConfigError` at construction rather than
 * a `ValidationException` from the first worker that happens to create the table.
 */

/** DynamoDB allows 50 user tags per table. */
export const MAX_TAGS = 50;
/** Tag keys: 1 to 128 Unicode characters. */
export const MAX_TAG_KEY = 128;
/** Tag values: 0 to 256 Unicode characters. */
export const MAX_TAG_VALUE = 256;
/** Letters, digits, white space and `+ - = . _ : / @`, as AWS's tagging rules allow. */
const TAG_TEXT = /^[\p{L}\p{N}\p{Z}+\-=._:/@]*$/u;

/** The schema entries behind `tags` and `pointInTimeRecovery` (their content is checked by `checkTags`). */
export const tableOptionEntries = {
  tags: v.optional(v.record(v.string(), v.string("tags values must be strings"), "tags must be an object of string keys and string values")),
  pointInTimeRecovery: v.optional(v.boolean("pointInTimeRecovery must be a boolean")),
};

/** Throws `ConfigError` (option `tags` or `tags.<key>`) unless every tag is one AWS accepts. */
export function checkTags(tags: Readonly<Record<string, string>>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new ConfigError("tags", `at most ${MAX_TAGS} tags per table (got ${entries.length})`);
  for (const [key, value] of entries) {
    const option = `tags.${key}`;
    const keyLength = [...key].length;
    if (keyLength < 1 || keyLength > MAX_TAG_KEY) throw new ConfigError(option, `tag keys must be 1-${MAX_TAG_KEY} characters (got ${keyLength})`);
    if ([...value].length > MAX_TAG_VALUE) throw new ConfigError(option, `tag values must be at most ${MAX_TAG_VALUE} characters (got ${[...value].length})`);
    if (key.toLowerCase().startsWith("aws:")) throw new ConfigError(option, "the aws: prefix is reserved for AWS's own tags");
    if (!TAG_TEXT.test(key)) throw new ConfigError(option, "tag keys may hold letters, digits, spaces and + - = . _ : / @");
    if (!TAG_TEXT.test(value)) throw new ConfigError(option, "tag values may hold letters, digits, spaces and + - = . _ : / @");
  }
}

/** CreateTable's `Tags` parameter. */
export function tagList(tags: Readonly<Record<string, string>>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
