/**
 * Whether an endpoint has ever answered one of this client's requests (any HTTP status counts).
 *
 * Before the first answer, a transport failure most likely means a wrong endpoint, host name or
 * port, which retrying cannot fix: after `limit` such failures (over all calls, so a caller that
 * sends one attempt per call, like the producer, is bounded too) the client stops retrying and the
 * error is not retryable by the outer loops either. After the first answer, the same failures are an
 * outage of something that worked, and are retried as long as the callers like.
 */
export class EndpointReachability {
  readonly limit: number;
  #answered = false;
  #failuresBeforeAnswer = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get answered(): boolean {
    return this.#answered;
  }

  /** Some HTTP response came back from the endpoint. */
  markAnswered(): void {
    this.#answered = true;
  }

  /** Count a transport failure; true when the endpoint has never answered and `limit` failures are reached. */
  givesUpAfterFailure(): boolean {
    if (this.#answered) return false;
    this.#failuresBeforeAnswer++;
    return this.#failuresBeforeAnswer >= this.limit;
  }

  get failuresBeforeAnswer(): number {
    return this.#failuresBeforeAnswer;
  }
}
