import * as z from 'zod/mini';
import { accountIdSchema, defineHandler } from '../lib/define-handler';
import { type RefreshResult, refreshPullRequests } from '../lib/refresh';
import { type RefreshHandlerDeps, refreshDepsFromEnv } from '../lib/refresh-deps';

export type { RefreshHandlerDeps } from '../lib/refresh-deps';

/**
 * The schedule's input: `{}` or `{"when": "conflicted" | "behind-base"}` (default `refresh.when`), `{"force":
 * ["<account id>", …]}`, or `{"render": true}` (a reconcile run: skip the idle check, render the dashboard).
 */
const event = z.nullable(
  z.object({
    when: z.optional(
      z.enum(['conflicted', 'behind-base'], { error: 'expected "conflicted" or "behind-base" (default conflicted)' }),
    ),
    force: z.optional(z.array(accountIdSchema, { error: 'expected a list of 12-digit account ids' })),
    render: z.optional(z.boolean({ error: 'expected true or false' })),
  }),
);
export type RefreshEvent = z.infer<typeof event>;

/** Regenerates the tool's own conflicting onboarding pull requests and keeps the dashboard (lib/refresh.ts). */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'refresh',
  event,
  deps: (): RefreshHandlerDeps => refreshDepsFromEnv(),
  run: async (event, { github, ...deps }): Promise<RefreshResult> =>
    refreshPullRequests(
      { ...deps, octokit: await github() },
      { when: event?.when ?? deps.config.refresh.when, force: event?.force ?? [], render: event?.render === true },
    ),
});
