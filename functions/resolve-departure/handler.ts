import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { type DepartureDecision, decideDeparture, parseDepartureInput } from '../lib/departure';
import { type LambdaContext, logger, startInvocation } from '../lib/logger';

export interface ResolveDepartureDeps {
  config: OnboardingConfig;
  organizations: OrganizationsClient;
}

export interface ResolveDepartureEvent {
  input: unknown;
  executionId?: string;
}

export type ResolveDepartureResult = DepartureDecision & { trigger: string; force: boolean };

/** Reads the departure event (or a manual request) and decides from Organizations whether to offboard. */
export function makeHandler(deps: ResolveDepartureDeps) {
  return async (event: ResolveDepartureEvent, context?: LambdaContext): Promise<ResolveDepartureResult> => {
    startInvocation(context, event?.executionId);
    const input = parseDepartureInput(event?.input);
    logger.appendPersistentKeys({ accountId: input.accountId });
    const decision = await decideDeparture(deps.organizations, deps.config, input.accountId);
    logger.info('Departure resolved', { ...decision, trigger: input.trigger });
    return { ...decision, trigger: input.trigger, force: input.force };
  };
}

const organizations = new OrganizationsClient({ region: 'us-east-1' });

export const defaultDeps = (): ResolveDepartureDeps => ({ config: configFromEnv(), organizations });

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (
  event: ResolveDepartureEvent,
  context: LambdaContext,
): Promise<ResolveDepartureResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
