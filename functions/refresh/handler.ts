import * as z from 'zod/mini';
import { type RefreshRunResult, refreshWithBatches } from '../lib/batch-remediation';
import { accountIdSchema, defineHandler } from '../lib/define-handler';
import { type RefreshHandlerDeps, refreshDepsFromEnv } from '../lib/refresh-deps';
import { REMEDIATION_BATCHES_KEY } from '../lib/remediation-handoff';

export type { RefreshHandlerDeps } from '../lib/refresh-deps';

/**
 * The schedule's input: `{}` or `{"when": "conflicted" | "behind-base"}` (default `refresh.when`), `{"force":
 * ["<account id>", …]}`, or `{"render": true}` (a reconcile run: skip the idle check, render the dashboard), with
 * `"batches": "runs/<run>/remediation-batches.json"` when a remediating sweep hands over batch pull requests.
 */
const event = z.nullable(
  z.object({
    when: z.optional(
      z.enum(['conflicted', 'behind-base'], { error: 'expected "conflicted" or "behind-base" (default conflicted)' }),
    ),
    force: z.optional(z.array(accountIdSchema, { error: 'expected a list of 12-digit account ids' })),
    render: z.optional(z.boolean({ error: 'expected true or false' })),
    batches: z.optional(
      z.string().check(z.regex(REMEDIATION_BATCHES_KEY, 'expected "runs/<run>/remediation-batches.json"')),
    ),
  }),
);
export type RefreshEvent = z.infer<typeof event>;

/** Writes a sweep's batch pull requests, regenerates the tool's conflicting ones, keeps the dashboard (lib/refresh.ts). */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'refresh',
  event,
  deps: (): RefreshHandlerDeps => refreshDepsFromEnv(),
  run: async (event, { github, ...deps }): Promise<RefreshRunResult> =>
    refreshWithBatches(
      { ...deps, octokit: await github() },
      {
        when: event?.when ?? deps.config.refresh.when,
        force: event?.force ?? [],
        render: event?.render === true,
        ...(event?.batches ? { batches: event.batches } : {}),
      },
    ),
});
