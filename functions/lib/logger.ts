import { Logger } from '@aws-lambda-powertools/logger';

/** One logger for every function; handlers add the account id and execution as persistent keys. */
export const logger = new Logger({ serviceName: 'oidc-account-onboarding' });
