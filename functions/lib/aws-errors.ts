import { AwsThrottled, AwsUnavailable } from './errors';

/**
 * Classifies AWS SDK v3 errors. Query-protocol services (IAM, STS) surface modelled errors by their class name
 * (`NoSuchEntityException`) and unmodelled ones by their wire code (`AccessDenied`, `Throttling`), so both
 * spellings are accepted.
 */

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const codesOf = (err: unknown): string[] => {
  if (typeof err !== 'object' || err === null) return [];
  const { name, Code } = err as SdkErrorShape;
  return [name, Code].filter((c): c is string => typeof c === 'string');
};

const hasCode =
  (...codes: string[]) =>
  (err: unknown): boolean =>
    codesOf(err).some((c) => codes.includes(c));

export const isAccessDenied = hasCode('AccessDenied', 'AccessDeniedException');
export const isNoSuchEntity = hasCode('NoSuchEntity', 'NoSuchEntityException');
export const isEntityAlreadyExists = hasCode('EntityAlreadyExists', 'EntityAlreadyExistsException');
export const isMalformedPolicyDocument = hasCode('MalformedPolicyDocument', 'MalformedPolicyDocumentException');
export const isRegionDisabled = hasCode('RegionDisabled', 'RegionDisabledException');

/**
 * The SDK's throttling codes (smithy's THROTTLING_ERROR_CODES) minus `LimitExceeded`, which IAM uses for
 * quotas (too many roles, policies per role) that waiting does not fix.
 */
const THROTTLING_CODES = [
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'SlowDown',
];

export function isThrottling(err: unknown): boolean {
  if (hasCode(...THROTTLING_CODES)(err)) return true;
  if (typeof err !== 'object' || err === null) return false;
  const { $metadata, $retryable } = err as SdkErrorShape;
  return $metadata?.httpStatusCode === 429 || $retryable?.throttling === true;
}

/**
 * Rethrows an SDK error: throttling that outlasted the SDK's own retries becomes `AwsThrottled` (retried by the
 * state machine); anything else is rethrown unchanged. `what` says which call, e.g. `iam:GetRole cicd in 123…`.
 */
/** A 5xx answer (the SDK marks it `$fault: 'server'`), e.g. InternalFailure or ServiceUnavailable. */
export function isServerError(err: unknown): boolean {
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.$fault === 'server' || (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}

export function rethrowAws(err: unknown, what: string): never {
  if (isThrottling(err)) {
    const code = codesOf(err)[0] ?? 'HTTP 429';
    throw new AwsThrottled(`AWS throttled ${what} (${code}) after the SDK's retries; the state machine retries later`);
  }
  if (isServerError(err)) {
    const code = codesOf(err)[0] ?? 'HTTP 5xx';
    throw new AwsUnavailable(`AWS failed ${what} (${code}) after the SDK's retries; the state machine retries later`);
  }
  throw err;
}
