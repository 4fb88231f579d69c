/**
 * `plan <accountId>`: what a run would change, read with the operator's AWS and GitHub credentials and without
 * writing anything. The same observers and planners an onboarding uses (selection.ts, cicd-role.ts, repo-plan.ts),
 * so what `plan` prints is what a run would do, and what reconciliation would report.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { Octokit } from '@octokit/rest';
import { planRole, type RoleChange, type RoleObservation } from '../functions/lib/cicd-role';
import type { OnboardingConfig } from '../functions/lib/config';
import { githubFetch, USER_AGENT } from '../functions/lib/github-client';
import type { AwsCredentialIdentity } from '../functions/lib/member-account';
import { readAccount } from '../functions/lib/organization';
import { partitionOf } from '../functions/lib/partition';
import { resolveProfile, withProfile } from '../functions/lib/profiles';
import { onboardingBranch } from '../functions/lib/pull-request';
import { observeMemberRole } from '../functions/lib/reconcile';
import { planRepo, type RepoPlan } from '../functions/lib/repo-plan';
import { observeRepo } from '../functions/lib/repo-snapshot';
import { planSelection } from '../functions/lib/selection';
import { sessionName } from '../functions/lib/session-policy';
import { buildTrustPolicy, decodePolicyDocument } from '../functions/lib/trust-policy';
import {
  awsClientConfig,
  CliError,
  EXIT,
  type ExitCode,
  type GlobalOptions,
  type Io,
  loadConfig,
  Output,
  requireAccountId,
  TROUBLESHOOTING,
} from './shared';

export interface RolePlan {
  action: 'create' | 'update' | 'unchanged' | 'blocked';
  roleArn: string;
  /** Each change: its drift class, what it is, and whether a run carries it out. */
  changes: Array<{ class: string; detail: string; remediable: boolean }>;
  /** The trust policy as IAM holds it and as it would be, when a run writes it. */
  trustPolicy?: { current?: unknown; desired: unknown; diff: string[] };
  /** The named error a run would fail with (blocked). */
  error?: string;
}

export async function planCommand(
  accountId: string,
  flags: { force?: boolean; githubTokenSecret?: string | boolean },
  options: GlobalOptions,
  io: Io,
): Promise<ExitCode> {
  requireAccountId(accountId);
  const out = new Output(io, options.json);
  const config = loadConfig(options, io);
  const force = flags.force === true;
  const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const partition = partitionOf(region);

  // The account, as resolve-account sees it (Organizations lives in us-east-1).
  const organizations = new OrganizationsClient(awsClientConfig(options, 'us-east-1'));
  const account = await readAccount(organizations, accountId);
  const selection = planSelection(account, config, { force });
  if (selection.decision !== 'onboard') {
    out.document({ accountId, account, skipped: selection.reason });
    out.line(
      `Account ${account.name} (${accountId}) would be ${selection.decision === 'wait' ? 'waited for' : 'skipped'}: ${selection.reason}`,
    );
    out.line(
      '  nothing would change; --force bypasses the OU, tag and id filters (never the management or tooling account)',
    );
    return EXIT.ok;
  }

  // The account's profile: which one applies and why, as ensure-cicd-role and open-pull-request resolve it.
  const { profile, reason: profileReason } = resolveProfile(account, config);
  const profiled = withProfile(config, profile);

  const sts = new STSClient(awsClientConfig(options, region));
  const observation = await observeMemberRole(
    {
      sts,
      partition,
      iamFor: (credentials: AwsCredentialIdentity) =>
        new IAMClient({ ...awsClientConfig(options, region), credentials }),
    },
    config,
    accountId,
    sessionName('plan', new Date().toISOString()),
  );
  const role = describeRolePlan(
    observation,
    planRole(observation, config, partition, { organizationId: account.organizationId, profile }),
    config,
    accountId,
    partition,
    account.organizationId,
  );

  const octokit = await githubClient(config, flags.githubTokenSecret, options, io);
  const repo = await observeRepo(octokit, config, { accountId });
  const plan = planRepo(account, repo, profiled, { force, profile });
  const outcome = pullRequestOutcome(plan);
  const files = plan.commit?.files.map((f) => f.path) ?? [];
  const workflowDiff =
    plan.commit?.workflowChanged && repo.workflowText !== undefined
      ? changedLines(repo.workflowText, plan.commit.workflowText)
      : [];
  const branch = onboardingBranch(config, accountId);
  const pulls = repo.pulls
    .filter((p) => p.accountId === accountId)
    .map((p) => ({ number: p.number, state: p.state, url: p.url, merged: p.merged }));

  out.document({
    accountId,
    account,
    profile: { ...profile, reason: profileReason },
    role,
    pullRequest: {
      outcome,
      branch,
      folder: plan.folder,
      changes: plan.changes,
      files,
      workflowPath: config.github.workflowPath,
      workflowDiff,
      existing: pulls,
    },
  });

  out.line(`Plan for ${account.name} (${accountId}), folder ${plan.folder} — nothing was changed`);
  out.line();
  out.line(`Profile: ${profile.name} — ${profileReason}`);
  out.line(
    `  policies ${profile.cicdPolicyArns.join(', ')}; boundary ${profile.permissionsBoundaryArn ?? 'none'}; templates ${profile.templates ?? 'default'}`,
  );
  out.line();
  const verb = { create: 'would create', update: 'would update', unchanged: 'unchanged', blocked: 'needs a person:' };
  out.line(`Role: ${verb[role.action]} ${role.roleArn}`);
  for (const c of role.changes) out.line(`  - ${c.class}${c.remediable ? '' : ' (needs a person)'}: ${c.detail}`);
  if (role.trustPolicy && role.action !== 'unchanged') {
    out.line(role.action === 'create' ? '  trust policy:' : '  trust policy diff:');
    for (const l of role.trustPolicy.diff) out.line(`    ${l}`);
  }
  if (role.error) out.line(`  a run would fail with ${role.error}: ${TROUBLESHOOTING[role.error] ?? ''}`);
  out.line();

  const where = `${config.github.owner}/${config.github.repo}`;
  const { action } = plan;
  switch (action.type) {
    case 'none':
      out.line(`Pull request: none needed — ${config.github.baseBranch} of ${where} already onboards ${plan.folder}`);
      break;
    case 'keep':
      out.line(`Pull request: unchanged — #${action.pull.number} ${action.pull.url} is current`);
      break;
    case 'declined':
      out.line(
        `Pull request: declined — #${action.pull.number} ${action.pull.url} was closed unmerged; a run leaves it (use --force to open it again)`,
      );
      break;
    case 'edited':
      out.line(`Pull request: edited — #${action.pull.number} ${action.pull.url} is a person's now; a run leaves it`);
      break;
    case 'blocked':
      out.line('Pull request: needs a person first — a run writes nothing to the repository');
      break;
    case 'update':
      out.line(`Pull request: would update #${action.pull.number} ${action.pull.url} (branch ${branch} regenerated)`);
      break;
    case 'open':
      out.line(`Pull request: would open one in ${where} from branch ${branch} into ${config.github.baseBranch}`);
      break;
  }
  if (plan.takenFolder) out.line(`  ${plan.takenFolder.folder} is taken (${plan.takenFolder.reason})`);
  for (const c of plan.changes) out.line(`  - ${c.class}${c.remediable ? '' : ' (needs a person)'}: ${c.detail}`);
  if (plan.commit && (action.type === 'open' || action.type === 'update')) {
    for (const f of files) out.line(`  + ${f}`);
    if (workflowDiff.length > 0) {
      out.line(`  ${config.github.workflowPath}:`);
      for (const l of workflowDiff) out.line(`    ${l}`);
    } else {
      out.line(`  ${config.github.workflowPath}: unchanged (the matrix already lists ${plan.folder})`);
    }
  }
  return role.action === 'blocked' || action.type === 'blocked' ? EXIT.failed : EXIT.ok;
}

/** What ensureOnboardingPullRequest would report for the plan. */
function pullRequestOutcome(plan: RepoPlan): string {
  const outcomes = {
    none: 'already-onboarded',
    keep: 'unchanged',
    declined: 'declined',
    edited: 'edited',
    blocked: 'blocked',
    open: 'opened',
    update: 'updated',
  } as const;
  return outcomes[plan.action.type];
}

export function describeRolePlan(
  observation: RoleObservation,
  changes: RoleChange[],
  config: OnboardingConfig,
  accountId: string,
  partition: string,
  organizationId?: string,
): RolePlan {
  const roleArn =
    observation.kind === 'present' && observation.arn
      ? observation.arn
      : `arn:${partition}:iam::${accountId}:role${config.cicdRolePath}${config.cicdRoleName}`;
  const listed = changes.map(({ action: _, ...c }) => c);
  const desired = buildTrustPolicy(config, partition, organizationId);
  const blocked = changes.find((c) => !c.remediable);
  if (blocked) {
    const error = blocked.class === 'account-not-assumable' ? 'AccountNotReady' : 'RoleNotManaged';
    return { action: 'blocked', roleArn, changes: listed, error };
  }
  if (changes.some((c) => c.action.type === 'create')) {
    return {
      action: 'create',
      roleArn,
      changes: listed,
      trustPolicy: { desired, diff: lineDiff(undefined, desired) },
    };
  }
  let current: unknown;
  if (observation.kind === 'present') {
    try {
      current = decodePolicyDocument(observation.trustPolicyDocument);
    } catch {
      current = undefined;
    }
  }
  const trustChanges = changes.some((c) => c.action.type === 'update-trust');
  return {
    action: changes.length > 0 ? 'update' : 'unchanged',
    roleArn,
    changes: listed,
    trustPolicy: { current, desired, diff: trustChanges ? lineDiff(current, desired) : [] },
  };
}

/** GITHUB_TOKEN, or the configured secret (`--github-token-secret` alone) or another one (`--github-token-secret ARN`). */
export async function githubClient(
  config: OnboardingConfig,
  secret: string | boolean | undefined,
  options: GlobalOptions,
  io: Io,
  access: 'read' | 'write' = 'read',
): Promise<Octokit> {
  const baseUrl = (options.githubEndpoint ?? config.github.apiUrl).replace(/\/+$/, '');
  if (secret) {
    const secretArn = typeof secret === 'string' ? secret : config.github.auth.secretArn;
    const region = /^arn:aws[\w-]*:secretsmanager:([a-z0-9-]+):/.exec(secretArn)?.[1] ?? 'us-east-1';
    const { createGitHubClient } = await import('../functions/lib/github-client');
    const github = { ...config.github, apiUrl: baseUrl, auth: { ...config.github.auth, secretArn } };
    return createGitHubClient({ ...config, github }, new SecretsManagerClient(awsClientConfig(options, region)), {
      access,
    }) as unknown as Promise<Octokit>;
  }
  const token = io.env.GITHUB_TOKEN;
  if (!token) {
    throw new CliError(
      'No GitHub credentials: set GITHUB_TOKEN to a token that can read the repository, or pass --github-token-secret ' +
        '(the configured github.auth secret) or --github-token-secret ARN',
      EXIT.config,
    );
  }
  return new Octokit({ baseUrl, auth: token, userAgent: USER_AGENT, request: { fetch: githubFetch() } });
}

/** The lines that differ between two texts, as `-old` / `+new` (one hunk: common prefix and suffix trimmed). */
export function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return [
    `@@ line ${start + 1} @@`,
    ...a.slice(start, a.length - end).map((l) => `-${l}`),
    ...b.slice(start, b.length - end).map((l) => `+${l}`),
  ];
}

/** The two policies as pretty JSON, with the differing lines marked. */
function lineDiff(current: unknown, desired: unknown): string[] {
  if (current === undefined)
    return JSON.stringify(desired, null, 2)
      .split('\n')
      .map((l) => `+${l}`);
  return changedLines(JSON.stringify(current, null, 2), JSON.stringify(desired, null, 2));
}
