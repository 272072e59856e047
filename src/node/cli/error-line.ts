import { AsyncKinesisError, AwsServiceError, ConfigError } from "../index.ts";

/** Longest error line printed: a service message echoing a huge request must not flood the terminal. */
const MAX_LENGTH = 600;

/**
 * The one line an error is reported with: the library's own message (which never holds a secret),
 * the AWS request id when there is one (what AWS support asks for), and for usage errors a pointer
 * to `--help`. Newlines are folded so the line stays one line.
 */
export function errorLine(error: unknown, command: string, debug: boolean): string {
  let text: string;
  if (error instanceof ConfigError) {
    text = `${error.message} (see async-kinesis ${command === "" ? "" : `${command} `}--help)`;
  } else if (error instanceof AwsServiceError) {
    text = error.requestId === undefined ? error.message : `${error.message} (request id ${error.requestId})`;
  } else if (error instanceof AsyncKinesisError) {
    text = `${error.name}: ${error.message}`;
  } else {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    text = `unexpected error: ${detail}${debug ? "" : " (rerun with --debug for details)"}`;
  }
  const folded = text.replace(/\s*\n\s*/g, " ").trim();
  const short = folded.length > MAX_LENGTH ? `${folded.slice(0, MAX_LENGTH - 1)}…` : folded;
  return `async-kinesis${command === "" ? "" : ` ${command}`}: ${short}\n`;
}
