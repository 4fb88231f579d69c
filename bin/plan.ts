/**
 * `plan <accountId>`: what a run would change, read with the operator's AWS and GitHub credentials and without
 * writing anything: the account as resolve-account sees it, the cicd role change (observeRole's reads and the trust
 * policy comparison of trust-policy.ts) and the pull request (previewOnboardingPullRequest: the same plan as
 * ensureOnboardingPullRequest, from the same reads).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from '../functions/lib/config';
import { githubFetch, USER_AGENT } from '../functions/lib/github-client';
import type { AwsCredentialIdentity } from '../functions/lib/member-account';
import { readAccount } from '../functions/lib/organization';
import { previewOnboardingPullRequest } from '../functions/lib/pull-request';
import { observeRole } from '../functions/lib/reconcile';
import { skipReason } from '../functions/lib/skip-rules';
import { accountFolder, accountSlug } from '../functions/lib/slug';
import { buildTrustPolicy, decodePolicyDocument, describeTrustDrift } from '../functions/lib/trust-policy';
import type { AccountContext, RoleResult } from '../functions/lib/types';
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
  /** What a run would change (create/update), or why it cannot (blocked). */
  changes: string[];
  /** The trust policy as IAM holds it and as it would be; both for create/update. */
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

  // The account, as resolve-account sees it (Organizations lives in us-east-1).
  const organizations = new OrganizationsClient(awsClientConfig(options, 'us-east-1'));
  const org = await readAccount(organizations, accountId);
  const skipped = skipReason(org, config, { force });
  if (skipped) {
    out.document({ accountId, account: org, skipped });
    out.line(`Account ${org.name} (${accountId}) would be skipped: ${skipped}`);
    out.line('  nothing would change; --force bypasses the OU, tag and id filters (never the management account)');
    return EXIT.ok;
  }
  const slug = accountSlug(org.name, accountId);
  const account: AccountContext = { ...org, slug, folder: accountFolder(config.github.accountsDir, slug) };

  const sts = new STSClient(awsClientConfig(options, region));
  const role = await planRole(config, accountId, {
    sts,
    iamFor: (credentials: AwsCredentialIdentity) => new IAMClient({ ...awsClientConfig(options, region), credentials }),
  });

  const octokit = await githubClient(config, flags.githubTokenSecret, options, io);
  const roleResult: RoleResult = {
    outcome: role.action === 'create' ? 'created' : role.action === 'update' ? 'updated' : 'unchanged',
    roleArn: role.roleArn,
    changes: role.changes,
    accessRole: config.memberAccessRoleNames[0] ?? '',
  };
  const preview = await previewOnboardingPullRequest(octokit, config, { account, role: roleResult, drift: [], force });
  const { plan } = preview;
  const files = plan.kind === 'change' ? plan.files.map((f) => f.path) : [];
  const workflowDiff =
    plan.kind === 'change' && plan.workflowChanged ? changedLines(preview.baseWorkflowText, plan.workflowText) : [];
  const open = preview.pulls.find((p) => p.state === 'open');
  const latest = preview.pulls[0];

  out.document({
    accountId,
    account,
    role,
    pullRequest: {
      outcome: preview.outcome,
      branch: preview.branch,
      folder: plan.folder,
      files,
      workflowPath: config.github.workflowPath,
      workflowDiff,
      existing: preview.pulls,
    },
  });

  out.line(`Plan for ${account.name} (${accountId}), folder ${account.folder} — nothing was changed`);
  out.line();
  switch (role.action) {
    case 'create':
      out.line(`Role: would create ${role.roleArn}`);
      break;
    case 'update':
      out.line(`Role: would update ${role.roleArn}`);
      break;
    case 'unchanged':
      out.line(`Role: unchanged ${role.roleArn}`);
      break;
    case 'blocked':
      out.line(`Role: a run would fail with ${role.error}`);
      break;
  }
  for (const c of role.changes) out.line(`  - ${c}`);
  if (role.trustPolicy && role.action !== 'unchanged') {
    out.line(role.action === 'create' ? '  trust policy:' : '  trust policy diff:');
    for (const l of role.trustPolicy.diff) out.line(`    ${l}`);
  }
  if (role.error) out.line(`  what to do: ${TROUBLESHOOTING[role.error] ?? ''}`);
  out.line();

  const where = `${config.github.owner}/${config.github.repo}`;
  switch (preview.outcome) {
    case 'already-onboarded':
      out.line(`Pull request: none needed — ${config.github.baseBranch} of ${where} already onboards ${plan.folder}`);
      break;
    case 'unchanged':
      out.line(`Pull request: unchanged — #${open?.number} ${open?.url} is current`);
      break;
    case 'declined':
      out.line(
        `Pull request: declined — #${latest?.number} ${latest?.url} was closed unmerged; a run leaves it (use --force to open it again)`,
      );
      break;
    case 'updated':
      out.line(`Pull request: would update #${open?.number} ${open?.url} (branch ${preview.branch} regenerated)`);
      break;
    default:
      out.line(
        `Pull request: would open one in ${where} from branch ${preview.branch} into ${config.github.baseBranch}`,
      );
  }
  if (preview.outcome !== 'already-onboarded') {
    for (const f of files) out.line(`  + ${f}`);
    if (workflowDiff.length > 0) {
      out.line(`  ${config.github.workflowPath}:`);
      for (const l of workflowDiff) out.line(`    ${l}`);
    } else if (plan.kind === 'change') {
      out.line(`  ${config.github.workflowPath}: unchanged (the matrix already lists ${plan.folder})`);
    }
  }
  return role.action === 'blocked' ? EXIT.failed : EXIT.ok;
}

/** The role change a run would make, from GetRole / ListAttachedRolePolicies in the account (read-only). */
async function planRole(
  config: OnboardingConfig,
  accountId: string,
  readers: Parameters<typeof observeRole>[0],
): Promise<RolePlan> {
  const roleArn = `arn:aws:iam::${accountId}:role${config.cicdRolePath}${config.cicdRoleName}`;
  const desired = buildTrustPolicy(config);
  const observation = await observeRole(readers, config, accountId);
  switch (observation.kind) {
    case 'not-assumable':
      return { action: 'blocked', roleArn, changes: [observation.message], error: 'AccountNotReady' };
    case 'missing':
      return {
        action: 'create',
        roleArn,
        changes: [
          `create role ${config.cicdRoleName} tagged ${config.managedTag.key}=${config.managedTag.value}`,
          ...config.cicdPolicyArns.map((arn) => `attach ${arn}`),
          ...(config.permissionsBoundaryArn ? [`permissions boundary ${config.permissionsBoundaryArn}`] : []),
        ],
        trustPolicy: { desired, diff: JSON.stringify(desired, null, 2).split('\n') },
      };
    case 'present': {
      const { key, value } = config.managedTag;
      const changes: string[] = [];
      if (observation.tags[key] !== value) {
        if (!config.adoptExistingRole) {
          return {
            action: 'blocked',
            roleArn,
            changes: [`the role exists without the tag ${key}=${value}, so a run leaves it alone`],
            error: 'RoleNotManaged',
          };
        }
        changes.push(`adopt the existing role (tag it ${key}=${value})`);
      }
      let current: unknown;
      let drift: string[];
      try {
        const decoded = decodePolicyDocument(observation.trustPolicyDocument);
        current = decoded;
        drift = describeTrustDrift(decoded, desired);
      } catch (error) {
        drift = [`the current document could not be read: ${(error as Error).message}`];
      }
      if (drift.length > 0) changes.push(`replace the trust policy (${drift.join('; ')})`);
      const attached = new Set(observation.attachedPolicyArns);
      for (const arn of config.cicdPolicyArns.filter((a) => !attached.has(a))) changes.push(`attach ${arn}`);
      return {
        action: changes.length > 0 ? 'update' : 'unchanged',
        roleArn,
        changes,
        trustPolicy: { current, desired, diff: drift.length > 0 ? lineDiff(current, desired) : [] },
      };
    }
  }
}

/** GITHUB_TOKEN, or the configured secret (`--github-token-secret` alone) or another one (`--github-token-secret ARN`). */
async function githubClient(
  config: OnboardingConfig,
  secret: string | boolean | undefined,
  options: GlobalOptions,
  io: Io,
): Promise<Octokit> {
  const baseUrl = (options.githubEndpoint ?? config.github.apiUrl).replace(/\/+$/, '');
  if (secret) {
    const secretArn = typeof secret === 'string' ? secret : config.github.auth.secretArn;
    const region = /^arn:aws[\w-]*:secretsmanager:([a-z0-9-]+):/.exec(secretArn)?.[1] ?? 'us-east-1';
    const { createGitHubClient } = await import('../functions/lib/github-client');
    const github = { ...config.github, apiUrl: baseUrl, auth: { ...config.github.auth, secretArn } };
    return createGitHubClient(
      { ...config, github },
      new SecretsManagerClient(awsClientConfig(options, region)),
    ) as unknown as Promise<Octokit>;
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
