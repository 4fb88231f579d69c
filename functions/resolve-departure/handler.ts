import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { defineHandler, executionIdSchema } from '../lib/define-handler';
import { type DepartureDecision, decideDeparture, parseDepartureInput } from '../lib/departure';
import { logger } from '../lib/logger';

export interface ResolveDepartureDeps {
  config: OnboardingConfig;
  organizations: OrganizationsClient;
}

/** The execution input (a departure event or a manual request; parseDepartureInput reads it) and the execution. */
const event = z.object({ input: z.unknown(), executionId: executionIdSchema });
export type ResolveDepartureEvent = z.infer<typeof event>;

export type ResolveDepartureResult = DepartureDecision & { trigger: string; force: boolean };

const organizations = new OrganizationsClient({ region: 'us-east-1' });

/** Reads the departure event (or a manual request) and decides from Organizations whether to offboard. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'resolve-departure',
  event,
  deps: (): ResolveDepartureDeps => ({ config: configFromEnv(), organizations }),
  run: async ({ input: raw }, deps): Promise<ResolveDepartureResult> => {
    const input = parseDepartureInput(raw);
    logger.appendPersistentKeys({ accountId: input.accountId });
    const decision = await decideDeparture(deps.organizations, deps.config, input.accountId);
    logger.info('Departure resolved', { ...decision, trigger: input.trigger });
    return { ...decision, trigger: input.trigger, force: input.force };
  },
});
