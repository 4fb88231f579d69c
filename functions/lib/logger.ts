import { Logger } from '@aws-lambda-powertools/logger';

/** One logger for every function; handlers add the account id and execution as persistent keys. */
export const logger = new Logger({ serviceName: 'oidc-account-onboarding' });

/** The Lambda context, as the logger takes it. */
export type LambdaContext = Parameters<typeof logger.addContext>[0];

/**
 * Starts an invocation of an onboarding function: forgets the account and execution of the previous invocation
 * of this container, adds the Lambda context (request id, cold start) and the Step Functions execution id. Call
 * `logger.appendPersistentKeys({ accountId })` once the account is known, so every later line carries both.
 */
export function startInvocation(context: unknown, executionId: unknown): void {
  logger.removePersistentKeys(['accountId', 'executionId']);
  if (context && typeof context === 'object' && 'awsRequestId' in context) logger.addContext(context as LambdaContext);
  if (typeof executionId === 'string' && executionId !== '') logger.appendPersistentKeys({ executionId });
}
