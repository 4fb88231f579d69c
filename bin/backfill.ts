/**
 * `backfill`: onboards every account of the organization the Terraform repository does not onboard yet (an
 * organization that existed before the tool). The same selection as reconciliation (selection.ts planSelection), the
 * same repository planner as a single onboarding (repo-plan.ts, through backfill-plan.ts):
 *
 * 1. observe the repository once and plan: which accounts need a folder, in batches of `github.batchSize`; the
 *    256-job matrix limit is checked here, before anything is written or started;
 * 2. the cicd role of each of those accounts through the onboarding state machine, `{"trigger": "backfill"}`
 *    (role only: no pull request of its own), a few at a time, followed to the end;
 * 3. observe again (the base may have moved meanwhile) and plan the accounts whose role is in place;
 * 4. one pull request per batch (backfill.ts): one tree, one commit, one branch, one pull request each.
 *
 * A second run finds every account onboarded or pending in an open pull request: it starts nothing and writes
 * nothing (3 GitHub reads).
 */
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { applyBatches } from '../functions/lib/backfill';
import { type BackfillCandidate, type BackfillPlan, planBackfill, tagsMatter } from '../functions/lib/backfill-plan';
import { cicdRoleArn } from '../functions/lib/cicd-role';
import { mapWithConcurrency } from '../functions/lib/concurrency';
import type { OnboardingConfig } from '../functions/lib/config';
import type { InventoryAccount } from '../functions/lib/drift';
import { ouPathReader, readTags } from '../functions/lib/organization';
import { partitionOf } from '../functions/lib/partition';
import { accountsUnderOus, listAccounts, selectAccounts } from '../functions/lib/reconcile';
import { observeRepo } from '../functions/lib/repo-snapshot';
import { planSelection } from '../functions/lib/selection';
import type { AccountId, RoleResult } from '../functions/lib/types';
import { githubClient } from './plan';
import {
  awsClientConfig,
  CliError,
  causeMessage,
  EXIT,
  type ExitCode,
  type GlobalOptions,
  type Io,
  loadConfig,
  Output,
  regionOfArn,
  sleep,
  stateMachineArn,
  timestamp,
} from './shared';

export interface BackfillFlags {
  dryRun?: boolean;
  force?: boolean;
  batchSize?: string;
  concurrency?: string;
  githubTokenSecret?: string | boolean;
}

interface RoleRun {
  accountId: AccountId;
  executionName: string;
  status: string;
  role?: Pick<RoleResult, 'outcome' | 'roleArn' | 'changes'>;
  error?: string;
}

export async function backfillCommand(flags: BackfillFlags, options: GlobalOptions, io: Io): Promise<ExitCode> {
  const out = new Output(io, options.json);
  const config = loadConfig(options, io);
  const batchSize = wholeNumber('--batch-size', flags.batchSize, config.github.batchSize, 1, 256);
  const concurrency = wholeNumber('--concurrency', flags.concurrency, 10, 1, 40);
  const force = flags.force === true;
  const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const partition = partitionOf(region);
  const where = `${config.github.owner}/${config.github.repo}`;

  // 1. The accounts, selected and profiled as a single onboarding does it: from their OU paths and tags.
  const organizations = new OrganizationsClient(awsClientConfig(options, 'us-east-1'));
  const managementAccountId =
    config.managementAccountId ??
    (await organizations.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId;
  const selecting = { ...config, ...(managementAccountId ? { managementAccountId } : {}) };
  const { candidates, skipped } = await backfillCandidates(organizations, selecting, concurrency);

  const octokit = await githubClient(config, flags.githubTokenSecret, options, io, flags.dryRun ? 'read' : 'write');
  const firstObservation = await observeRepo(octokit, config);
  const first = planBackfill(candidates, firstObservation, config, { batchSize, force });
  const toOnboard = first.accounts.filter((a) => a.status === 'batched').map((a) => a.accountId);

  if (flags.dryRun || first.batches.length === 0) {
    out.document({ dryRun: flags.dryRun === true, skipped, ...summarize(first) });
    printPlan(out, first, where, skipped, flags.dryRun === true);
    return EXIT.ok;
  }

  // 2. The roles, through the state machine (role only), followed to the end.
  let runs: RoleRun[] = [];
  let observation = firstObservation;
  let plan = first;
  if (toOnboard.length > 0) {
    const arn = stateMachineArn('onboarding', options, io);
    const sfn = new SFNClient(awsClientConfig(options, regionOfArn(arn)));
    out.line(`Converging the cicd role of ${toOnboard.length} account(s) through ${arn.split(':').pop()}…`);
    runs = await runRoles(sfn, arn, toOnboard, concurrency, io);
    const failed = new Set(
      runs
        .filter((r) => !(r.status === 'SUCCEEDED' && r.role && r.role.outcome !== 'not-managed'))
        .map((r) => r.accountId),
    );
    // 3. Again on the current base, without the accounts whose role is not in place.
    observation = await observeRepo(octokit, config);
    plan = planBackfill(
      candidates.filter((a) => !failed.has(a.accountId)),
      observation,
      config,
      { batchSize, force },
    );
  }
  const roleFailed = runs.filter((r) => !(r.status === 'SUCCEEDED' && r.role && r.role.outcome !== 'not-managed'));
  // 4. One pull request per batch.
  const roleArns = new Map(runs.flatMap((r) => (r.role ? [[r.accountId, r.role.roleArn] as const] : [])));
  const results = await applyBatches(
    octokit,
    config,
    observation,
    plan.batches,
    (id) => roleArns.get(id) ?? cicdRoleArn(config, id, partition),
    { paceMs: config.github.pacing && !flags.githubTokenSecret ? 1000 : 0 },
  );

  out.document({
    skipped,
    ...summarize(plan),
    roles: runs,
    pullRequests: results,
  });
  printPlan(out, plan, where, skipped, false);
  for (const r of results) {
    out.line(
      r.outcome !== 'edited'
        ? `${r.outcome === 'opened' ? 'Opened' : 'Regenerated'} #${r.number} with ${r.accounts.length} account(s): ${r.url}`
        : `Left ${r.branch} alone (${r.accounts.length} account(s)): ${r.detail ?? ''}`,
    );
  }
  for (const r of roleFailed) {
    out.line(
      `Role of ${r.accountId} not in place (${r.status}${r.error ? `: ${r.error}` : r.role ? `: ${r.role.outcome}, ${r.role.changes.join('; ')}` : ''}); not in a batch (execution ${r.executionName})`,
    );
  }
  return roleFailed.length > 0 || results.some((r) => r.outcome === 'edited') ? EXIT.failed : EXIT.ok;
}

/**
 * The accounts to backfill: those the reconcile inventory selects (ListAccounts, the excluded OUs), selected again
 * as resolve-account selects them, from each one's OU path (each OU read once, organization.ts ouPathReader) and
 * tags (read only when a filter or a profile looks at them). Each keeps its OU path and tags: its profile decides
 * which templates render its folder.
 */
async function backfillCandidates(
  organizations: OrganizationsClient,
  config: OnboardingConfig,
  concurrency: number,
): Promise<{ candidates: BackfillCandidate[]; skipped: number }> {
  const [all, excludedByOu] = await Promise.all([
    listAccounts(organizations),
    accountsUnderOus(organizations, config.filters.excludeOuIds),
  ]);
  const byId = new Map(all.map((a) => [a.accountId, a]));
  const readOuPath = ouPathReader(organizations);
  const withTags = tagsMatter(config);
  const located = await mapWithConcurrency(
    selectAccounts(all, config, excludedByOu).checked,
    concurrency,
    async (id) => {
      const [ouPath, tags] = await Promise.all([readOuPath(id), withTags ? readTags(organizations, id) : {}]);
      const account = { ...(byId.get(id) as InventoryAccount), ouPath, tags };
      return { account, selection: planSelection(account, config) };
    },
  );
  const candidates = located.filter((t) => t.selection.decision === 'onboard').map((t) => t.account);
  return { candidates, skipped: all.length - candidates.length };
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} expects a whole number from ${min} to ${max}, got "${value}"`, EXIT.usage);
  }
  return n;
}

/** StartExecution `backfill-<yyyymmddHHMMss>-<id>` for each account, `concurrency` at a time, each followed to its end. */
async function runRoles(
  sfn: SFNClient,
  stateMachine: string,
  accountIds: AccountId[],
  concurrency: number,
  io: Io,
): Promise<RoleRun[]> {
  const stamp = timestamp();
  return mapWithConcurrency(accountIds, concurrency, async (accountId): Promise<RoleRun> => {
    const executionName = `backfill-${stamp}-${accountId}`;
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachine,
        name: executionName,
        input: JSON.stringify({ accountId, trigger: 'backfill' }),
      }),
    );
    for (;;) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
        const output = d.output ? (JSON.parse(d.output) as { role?: RoleRun['role'] }) : undefined;
        return {
          accountId,
          executionName,
          status: d.status ?? 'UNKNOWN',
          ...(output?.role ? { role: output.role } : {}),
          ...(d.error ? { error: `${d.error}: ${causeMessage(d.cause) ?? ''}` } : {}),
        };
      }
      await sleep(io.pollIntervalMs);
    }
  });
}

function summarize(plan: BackfillPlan) {
  const counts: Record<string, number> = {};
  for (const a of plan.accounts) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return {
    counts,
    matrix: plan.matrix,
    batches: plan.batches.map((b) => ({ key: b.key, branch: b.branch, accounts: b.accounts.map((a) => a.accountId) })),
    needsAPerson: plan.accounts.filter((a) => a.details),
  };
}

function printPlan(out: Output, plan: BackfillPlan, where: string, skipped: number, dryRun: boolean): void {
  const { counts } = summarize(plan);
  out.line(
    `Accounts: ${plan.accounts.length} selected (${skipped} skipped by the filters or not ACTIVE): ` +
      ['onboarded', 'pending', 'batched', 'declined', 'edited', 'blocked']
        .map((s) => `${counts[s] ?? 0} ${s}`)
        .join(', '),
  );
  for (const m of plan.matrix) {
    out.line(
      `Matrix jobs.${m.job}: ${m.onBase} on the base branch + ${m.inOpenPullRequests} in open pull requests + ${m.added} new = ${m.after} of ${m.limit}`,
    );
  }
  if (plan.batches.length === 0) {
    out.line(`Nothing to add: every selected account is onboarded or pending in an open pull request of ${where}.`);
  } else if (dryRun) {
    for (const b of plan.batches)
      out.line(`Would open one pull request from ${b.branch} with ${b.accounts.length} account(s)`);
  }
  for (const a of plan.accounts.filter((x) => x.details)) {
    out.line(`  ${a.accountId} (${a.status}): ${(a.details ?? []).join('; ')}`);
  }
}
