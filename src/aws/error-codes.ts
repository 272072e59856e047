/**
 * How each AWS error code behaves, kept as data so the retry policy is a lookup, not a chain of ifs.
 * Codes not listed are judged by HTTP status: 5xx transient, 429 throttling, anything else fatal.
 */
export type ErrorKind = "throttling" | "transient" | "fatal";

const THROTTLING = [
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "LimitExceededException",
  "TransactionInProgressException",
  "KMSThrottlingException",
] as const;

const TRANSIENT = [
  "InternalFailure",
  "InternalServerError",
  "InternalServerErrorException",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TransactionConflictException",
  "IDPCommunicationError",
  "KMSInternalException",
] as const;

/**
 * Errors that retrying cannot fix: bad input, missing resources, access, KMS configuration.
 * Listed so that a 5xx-looking status never makes them retryable.
 */
const FATAL = [
  "ConditionalCheckFailedException",
  "ResourceNotFoundException",
  "ResourceInUseException",
  "ValidationException",
  "InvalidArgumentException",
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "ExpiredTokenException",
  "ExpiredIteratorException",
  "KMSDisabledException",
  "KMSInvalidStateException",
  "KMSAccessDeniedException",
  "KMSNotFoundException",
  "KMSOptInRequired",
  "SerializationException",
  "ItemCollectionSizeLimitExceededException",
] as const;

const KINDS: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ...THROTTLING.map((code) => [code, "throttling"] as const),
  ...TRANSIENT.map((code) => [code, "transient"] as const),
  ...FATAL.map((code) => [code, "fatal"] as const),
]);

export function errorKind(awsCode: string, httpStatus: number): ErrorKind {
  const known = KINDS.get(awsCode);
  if (known !== undefined) return known;
  if (httpStatus === 429) return "throttling";
  if (httpStatus >= 500) return "transient";
  return "fatal";
}
