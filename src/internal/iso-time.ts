import { ConfigError } from "../errors.ts";

/** A calendar date, alone or followed by a clock time (after `T` or a space). */
const DATE = /^\d{4}-\d{2}-\d{2}(?=$|[T ]\d)/;
/** `Z` or a UTC offset (`+02:00`, `-0500`, `+02`) at the end. */
const ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * An ISO 8601 time given as an option: a date alone (midnight UTC) or a date and clock time with its
 * zone (`Z` or an offset). A clock time without a zone is a `ConfigError` naming `option`: JavaScript
 * would read it in the machine's own time zone, so the same command would mean another instant on
 * another machine. Undefined for text that is not a valid date (the caller says what else it takes).
 */
export function parseIsoTime(text: string, option: string): Date | undefined {
  if (!DATE.test(text)) return undefined;
  if (text.length > 10 && !ZONE.test(text)) {
    throw new ConfigError(option, `"${text}" has no time zone: add Z for UTC or an offset such as +02:00`);
  }
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : time;
}
