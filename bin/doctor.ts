/**
 * `doctor`: the prerequisites of a deploy and of every onboarding, checked read-only with the operator's credentials
 * against the real accounts and GitHub (or the stand-ins): one line per prerequisite, pass or fail, and the fix.
 * Nothing is written anywhere; exit code 1 when anything fails.
 *
 * What it reads: CloudTrail (a trail delivering management events in us-east-1, without which EventBridge never sees
 * CreateAccount), the GitHub secret, what GitHub tells of the credentials' permissions on the repository, the
 * workflow and its matrix, the member access role in a sample of accounts, the service control policies on a sample
 * account's path (simulated against the IAM calls an onboarding makes there, with @cloud-copilot/iam-simulate), and
 * the deployed state machines.
 */
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import {
  type Account,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { getDenialReasons, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from '../functions/lib/config';
import { type GitHubCredentials, httpStatus, readCredentials, USER_AGENT } from '../functions/lib/github-client';
import { assumeMemberAccount } from '../functions/lib/member-account';
import { reconcileSessionPolicy, sessionName } from '../functions/lib/session-policy';
import { GITHUB_MATRIX_LIMIT, readMatrixLists } from '../functions/lib/workflow-matrix';
import {
  awsClientConfig,
  CliError,
  EXIT,
  type ExitCode,
  type GlobalOptions,
  type Io,
  loadConfig,
  Output,
  regionOfArn,
  stateMachineArn,
} from './shared';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when it did not pass. */
  fix?: string;
}

export const CHECKS = {
  cloudtrail: 'CloudTrail trail',
  secret: 'GitHub secret',
  'github-permissions': 'GitHub permissions',
  workflow: 'Workflow matrix',
  'member-access': 'Member access role',
  scp: 'Service control policies',
  deployment: 'Deployed state machines',
} as const;
export type CheckId = keyof typeof CHECKS;

/** Organizations, CloudTrail's CreateAccount events and EventBridge's rules all meet in us-east-1. */
const HOME_REGION = 'us-east-1';
/** Fewer free matrix slots than this is a warning: a burst of new accounts would hit GitHub's limit. */
const HEADROOM_WARNING = 10;

interface Context {
  config: OnboardingConfig;
  options: GlobalOptions;
  io: Io;
  sample: number;
}

type Outcome = Omit<CheckResult, 'id' | 'title'>;
const pass = (detail: string): Outcome => ({ status: 'pass', detail });
const fail = (detail: string, fix: string): Outcome => ({ status: 'fail', detail, fix });
const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

// ---- CloudTrail

/** True when the trail's selectors deliver write management events (what EventBridge rules on API calls need). */
export function logsManagementWrites(selectors: {
  EventSelectors?: Array<{ IncludeManagementEvents?: boolean; ReadWriteType?: string }>;
  AdvancedEventSelectors?: Array<{ FieldSelectors?: Array<{ Field?: string; Equals?: string[] }> }>;
}): boolean {
  if (selectors.AdvancedEventSelectors?.length) {
    return selectors.AdvancedEventSelectors.some((s) => {
      const fields = s.FieldSelectors ?? [];
      const management = fields.some((f) => f.Field === 'eventCategory' && f.Equals?.includes('Management'));
      const readOnly = fields.some((f) => f.Field === 'readOnly' && f.Equals?.includes('true'));
      return management && !readOnly;
    });
  }
  return (selectors.EventSelectors ?? []).some(
    (s) => s.IncludeManagementEvents !== false && s.ReadWriteType !== 'ReadOnly',
  );
}

async function checkCloudTrail({ options }: Context): Promise<Outcome> {
  const cloudtrail = new CloudTrailClient(awsClientConfig(options, HOME_REGION));
  const create =
    `create one in the management account: aws cloudtrail create-trail --region ${HOME_REGION} --name management-events ` +
    '--s3-bucket-name <bucket> --is-multi-region-trail, then aws cloudtrail start-logging --region us-east-1 --name management-events ' +
    '(EventBridge sees CreateAccount only through a trail)';
  const { trailList = [] } = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const candidates = trailList.filter((t) => t.HomeRegion === HOME_REGION || t.IsMultiRegionTrail);
  if (candidates.length === 0) {
    return fail(`no trail covers ${HOME_REGION} (${trailList.length} trail(s) in other regions)`, create);
  }
  const problems: string[] = [];
  let stopped: Trail | undefined;
  let readOnly: Trail | undefined;
  for (const trail of candidates) {
    const id = trail.TrailARN ?? trail.Name ?? '';
    const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: id }));
    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: id }));
    const writes = logsManagementWrites(selectors);
    if (status.IsLogging && writes) {
      return pass(`trail ${trail.Name} logs management events in ${HOME_REGION}`);
    }
    if (!status.IsLogging) stopped ??= trail;
    if (!writes) readOnly ??= trail;
    problems.push(
      `${trail.Name}: ${status.IsLogging ? 'logging' : 'not logging'}, ${writes ? '' : 'no '}management write events`,
    );
  }
  if (stopped) {
    return fail(
      `no trail delivers management events in ${HOME_REGION} (${problems.join('; ')})`,
      `aws cloudtrail start-logging --region ${HOME_REGION} --name ${stopped.Name}`,
    );
  }
  return fail(
    `no trail delivers management events in ${HOME_REGION} (${problems.join('; ')})`,
    `include write management events: aws cloudtrail put-event-selectors --region ${HOME_REGION} --trail-name ${readOnly?.Name} ` +
      `--event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`,
  );
}

// ---- GitHub

async function checkSecret({
  config,
  options,
}: Context): Promise<{ outcome: Outcome; credentials?: GitHubCredentials }> {
  const { secretArn, type } = config.github.auth;
  const secrets = new SecretsManagerClient(awsClientConfig(options, regionOfArn(secretArn)));
  try {
    const credentials = await readCredentials(config, secrets);
    return {
      outcome: pass(`${secretArn} is readable and holds ${type === 'app' ? 'GitHub App credentials' : 'a token'}`),
      credentials,
    };
  } catch (error) {
    const name = (error as Error).name;
    return {
      outcome: fail(
        (error as Error).message,
        name === 'ConfigError'
          ? `put the credentials in the shape github.auth.type "${type}" expects: aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string ${type === 'app' ? '\'{"appId":…,"privateKey":"-----BEGIN…","installationId":…}\'' : '\'{"token":"…"}\''}`
          : `check github.auth.secretArn, and that your credentials (and the functions' roles) may call secretsmanager:GetSecretValue on ${secretArn} and kms:Decrypt on its key`,
      ),
    };
  }
}

/** What each function needs of the repository, in GitHub App permission names. */
function requiredPermissions(config: OnboardingConfig): Record<string, 'read' | 'write'> {
  const required: Record<string, 'read' | 'write'> = { contents: 'write', pull_requests: 'write', workflows: 'write' };
  // Issues, for the dashboard issue the refresh keeps (`refresh.enabled` and `dashboard.enabled`, the defaults).
  if (config.refresh.enabled && config.dashboard.enabled) required.issues = 'write';
  return required;
}

const PERMISSION_NAMES: Record<string, string> = {
  contents: 'Contents',
  pull_requests: 'Pull requests',
  workflows: 'Workflows',
  issues: 'Issues',
};

function githubBase(config: OnboardingConfig, options: GlobalOptions): string {
  return (options.githubEndpoint ?? config.github.apiUrl).replace(/\/+$/, '');
}

function githubFor(config: OnboardingConfig, options: GlobalOptions, credentials: GitHubCredentials): Octokit {
  const baseUrl = githubBase(config, options);
  if (credentials.type === 'token') return new Octokit({ baseUrl, auth: credentials.token, userAgent: USER_AGENT });
  return new Octokit({
    baseUrl,
    userAgent: USER_AGENT,
    authStrategy: createAppAuth,
    auth: { appId: credentials.appId, privateKey: credentials.privateKey, installationId: credentials.installationId },
  });
}

async function checkGitHubPermissions(context: Context, credentials: GitHubCredentials): Promise<Outcome> {
  const { config, options } = context;
  const { owner, repo } = config.github;
  const where = `${owner}/${repo}`;
  const required = requiredPermissions(config);
  const names = Object.keys(required).map((p) => `${PERMISSION_NAMES[p]}: ${required[p]}`);
  if (credentials.type === 'app') {
    // The installation's permissions, read with the App's JWT (what installation tokens can be granted at most).
    const appOctokit = new Octokit({
      baseUrl: githubBase(config, options),
      userAgent: USER_AGENT,
      authStrategy: createAppAuth,
      auth: { appId: credentials.appId, privateKey: credentials.privateKey },
    });
    let installation: { id: number; permissions: Record<string, string | undefined> };
    try {
      installation = (await appOctokit.rest.apps.getRepoInstallation({ owner, repo })).data as typeof installation;
    } catch (error) {
      const status = httpStatus(error);
      return fail(
        `GitHub answered ${status ?? errorText(error)} for the App's installation on ${where}`,
        status === 404
          ? `install the GitHub App on ${where} (the App's settings → Install App) with ${names.join(', ')}`
          : 'check appId and privateKey in the secret (GitHub refused the App JWT)',
      );
    }
    const missing = Object.entries(required).filter(
      ([name, level]) =>
        !(
          installation.permissions[name] === 'write' ||
          installation.permissions[name] === 'admin' ||
          (level === 'read' && installation.permissions[name] === 'read')
        ),
    );
    const wrongInstallation =
      installation.id !== credentials.installationId
        ? ` (the secret's installationId ${credentials.installationId} is not ${where}'s installation ${installation.id})`
        : '';
    if (missing.length > 0 || wrongInstallation) {
      return fail(
        missing.length > 0
          ? `the App's installation lacks ${missing.map(([p, l]) => `${PERMISSION_NAMES[p]}: ${l}`).join(', ')}${wrongInstallation}`
          : `installation mismatch${wrongInstallation}`,
        missing.length > 0
          ? `in the App's settings → Permissions, grant ${missing.map(([p, l]) => `${PERMISSION_NAMES[p]}: ${l}`).join(', ')}, then accept the new permissions on the installation`
          : `set installationId to ${installation.id} in the secret`,
      );
    }
    return pass(`the App's installation on ${where} has ${names.join(', ')}`);
  }

  const octokit = githubFor(config, options, credentials);
  let response: Awaited<ReturnType<Octokit['rest']['repos']['get']>>;
  try {
    response = await octokit.rest.repos.get({ owner, repo });
  } catch (error) {
    const status = httpStatus(error);
    return fail(
      `GitHub answered ${status ?? errorText(error)} for ${where}`,
      status === 401
        ? 'GitHub refused the token: put a valid one in the secret'
        : `give the token access to ${where} (a fine-grained token: add the repository to its repository access)`,
    );
  }
  const scopesHeader = response.headers['x-oauth-scopes'];
  if (typeof scopesHeader === 'string') {
    // A classic token: `repo` covers contents, pull requests and issues; `workflow` is what changes workflow files.
    const scopes = new Set(
      scopesHeader
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const repoScope = scopes.has('repo') || (scopes.has('public_repo') && response.data.private === false);
    const missing = [...(repoScope ? [] : ['repo']), ...(scopes.has('workflow') ? [] : ['workflow'])];
    if (missing.length > 0) {
      return fail(
        `the classic token's scopes are "${scopesHeader}": ${missing.map((m) => (m === 'workflow' ? 'Workflows (scope workflow)' : 'Contents and Pull requests (scope repo)')).join(' and ')} missing`,
        `regenerate the token with the ${missing.join(' and ')} scope(s) (or use a GitHub App with ${names.join(', ')}) and update the secret`,
      );
    }
    return pass(`classic token with scopes ${[...scopes].join(', ')} on ${where}`);
  }
  if (!response.data.permissions?.push) {
    return fail(
      `the token cannot push to ${where} (its permissions there: ${JSON.stringify(response.data.permissions ?? {})})`,
      `give the token ${names.join(', ')} on ${where}`,
    );
  }
  return warn(
    `the token can push to ${where}; GitHub does not tell a fine-grained token's other permissions`,
    `make sure it has ${names.join(', ')}`,
  );
}

async function checkWorkflow(context: Context, credentials: GitHubCredentials): Promise<Outcome> {
  const { config, options } = context;
  const { owner, repo, baseBranch, workflowPath, matrixKey } = config.github;
  const octokit = githubFor(config, options, credentials);
  let text: string;
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path: workflowPath, ref: baseBranch });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
      return fail(`${workflowPath} on ${baseBranch} is not a file`, 'set github.workflowPath to the workflow file');
    }
    text = Buffer.from(data.content, 'base64').toString('utf8');
  } catch (error) {
    return fail(
      `${workflowPath} could not be read on ${baseBranch} of ${owner}/${repo} (${httpStatus(error) ?? errorText(error)})`,
      'set github.workflowPath and github.baseBranch to the workflow that runs Terraform per account folder',
    );
  }
  const literalList = `list the account folders in a literal matrix (strategy: matrix: ${matrixKey}: ['${config.github.accountsDir}/…']) or set github.matrixKey`;
  let lists: ReturnType<typeof readMatrixLists>;
  try {
    lists = readMatrixLists(text, matrixKey);
  } catch (error) {
    return fail(
      `${workflowPath}: ${(error as Error).message}`,
      (error as Error).name === 'WorkflowMatrixNotFound'
        ? literalList
        : 'fix the workflow YAML (actionlint tells where)',
    );
  }
  if (lists.length === 0) return fail(`${workflowPath} has no jobs.*.strategy.matrix.${matrixKey} list`, literalList);
  const fullest = lists
    .map((l) => ({ ...l, jobs: l.entries.length * l.jobsPerEntry }))
    .map((l) => ({ ...l, room: Math.floor((GITHUB_MATRIX_LIMIT - l.jobs) / Math.max(l.jobsPerEntry, 1)) }))
    .sort((a, b) => a.room - b.room)[0] as { job: string; jobs: number; room: number; entries: string[] };
  const detail = `${workflowPath}: job ${fullest.job} runs ${fullest.jobs} of ${GITHUB_MATRIX_LIMIT} matrix jobs (${fullest.entries.length} folders), room for ${Math.max(fullest.room, 0)} more account(s)`;
  const split = `split the workflow (e.g. one per OU) before it reaches GitHub's ${GITHUB_MATRIX_LIMIT} jobs per matrix`;
  if (fullest.room <= 0) return fail(detail, split);
  if (fullest.room < HEADROOM_WARNING) return warn(detail, split);
  return pass(detail);
}

// ---- Member accounts

async function sampleAccounts(context: Context, organizations: OrganizationsClient): Promise<Account[]> {
  const management = (await organizations.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId;
  const accounts: Account[] = [];
  for await (const page of paginateListAccounts({ client: organizations }, {})) accounts.push(...(page.Accounts ?? []));
  const excluded = new Set(context.config.filters.excludeAccountIds);
  return accounts
    .filter((a) => a.Id && a.Id !== management && !excluded.has(a.Id) && (a.State ?? a.Status) === 'ACTIVE')
    .sort((a, b) => (b.JoinedTimestamp?.getTime() ?? 0) - (a.JoinedTimestamp?.getTime() ?? 0))
    .slice(0, context.sample);
}

async function checkMemberAccess(context: Context, sample: Account[]): Promise<Outcome & { accessRole?: string }> {
  const { config, options } = context;
  if (sample.length === 0) return warn('no member account to try', 'run doctor again once the organization has one');
  const sts = new STSClient(awsClientConfig(options, HOME_REGION));
  const results = await Promise.all(
    sample.map(async (account) => {
      try {
        const session = await assumeMemberAccount(sts, account.Id as string, config.memberAccessRoleNames, {
          sessionName: sessionName('doctor', new Date().toISOString()),
          // Read-only, like the sweep's: doctor only proves that the role can be assumed.
          policy: reconcileSessionPolicy(config, account.Id as string),
        });
        return { account, role: session.accessRole };
      } catch (error) {
        return { account, error: (error as Error).name };
      }
    }),
  );
  const failed = results.filter((r) => r.error);
  const ids = (rs: typeof results) => rs.map((r) => `${r.account.Name} (${r.account.Id})`).join(', ');
  if (failed.length > 0) {
    return fail(
      `none of ${config.memberAccessRoleNames.join(', ')} could be assumed in ${ids(failed)}`,
      `create ${config.memberAccessRoleNames[0]} in those accounts trusting the management account (an invited account does not have it), or list the role your organization uses in memberAccessRoleNames`,
    );
  }
  return {
    ...pass(`assumed ${[...new Set(results.map((r) => r.role))].join(', ')} in ${ids(results)}`),
    accessRole: results[0]?.role,
  };
}

/** The IAM calls an onboarding makes in a member account, with the condition keys they carry. */
function memberAccountCalls(
  config: OnboardingConfig,
  accountId: string,
): Array<{ action: string; resource: string; context: Record<string, string | string[]> }> {
  const role = `arn:aws:iam::${accountId}:role${config.cicdRolePath}${config.cicdRoleName}`;
  const { key, value } = config.managedTag;
  const existing = { [`aws:ResourceTag/${key}`]: value };
  const tagging = { [`aws:RequestTag/${key}`]: value, 'aws:TagKeys': [key] };
  const boundary: Record<string, string> = config.permissionsBoundaryArn
    ? { 'iam:PermissionsBoundary': config.permissionsBoundaryArn }
    : {};
  return [
    { action: 'iam:GetRole', resource: role, context: {} },
    { action: 'iam:ListAttachedRolePolicies', resource: role, context: existing },
    { action: 'iam:CreateRole', resource: role, context: { ...tagging, ...boundary } },
    { action: 'iam:TagRole', resource: role, context: { ...existing, ...tagging } },
    { action: 'iam:UpdateAssumeRolePolicy', resource: role, context: existing },
    ...config.cicdPolicyArns.map((arn) => ({
      action: 'iam:AttachRolePolicy',
      resource: role,
      context: { ...existing, 'iam:PolicyARN': arn },
    })),
    ...(config.permissionsBoundaryArn
      ? [{ action: 'iam:PutRolePermissionsBoundary', resource: role, context: { ...existing, ...boundary } }]
      : []),
  ];
}

async function checkServiceControlPolicies(
  context: Context,
  organizations: OrganizationsClient,
  account: Account | undefined,
  accessRole: string,
): Promise<Outcome> {
  const { config } = context;
  if (!account?.Id) return warn('no member account to simulate', 'run doctor again once the organization has one');
  const accountId = account.Id;
  // The path from the root down to the account: SCPs at every level must allow a call.
  const levels: string[] = [accountId];
  for (let child = accountId; ; ) {
    const parent = (await organizations.send(new ListParentsCommand({ ChildId: child }))).Parents?.[0];
    if (!parent?.Id) break;
    levels.unshift(parent.Id);
    if (parent.Type === 'ROOT') break;
    child = parent.Id;
  }
  const organization = (await organizations.send(new DescribeOrganizationCommand({}))).Organization;
  const serviceControlPolicies: Simulation['serviceControlPolicies'] = [];
  for (const level of levels) {
    let summaries: Array<{ Id?: string; Name?: string }> = [];
    try {
      summaries =
        (
          await organizations.send(
            new ListPoliciesForTargetCommand({ TargetId: level, Filter: 'SERVICE_CONTROL_POLICY' }),
          )
        ).Policies ?? [];
    } catch (error) {
      if ((error as Error).name === 'PolicyTypeNotEnabledException') {
        return pass('service control policies are not enabled in the organization: nothing to deny');
      }
      throw error;
    }
    const policies = [];
    for (const summary of summaries) {
      const content = (await organizations.send(new DescribePolicyCommand({ PolicyId: summary.Id }))).Policy?.Content;
      policies.push({ name: `${summary.Name} (${summary.Id}, on ${level})`, policy: JSON.parse(content ?? '{}') });
    }
    serviceControlPolicies.push({ orgIdentifier: level, policies });
  }

  const principal = `arn:aws:sts::${accountId}:assumed-role/${accessRole}/oidc-account-onboarding`;
  const denials: string[] = [];
  for (const call of memberAccountCalls(config, accountId)) {
    const result = await runSimulation(
      {
        request: {
          principal,
          action: call.action,
          resource: { resource: call.resource, accountId },
          contextVariables: {
            'aws:PrincipalArn': `arn:aws:iam::${accountId}:role/${accessRole}`,
            'aws:PrincipalAccount': accountId,
            'aws:PrincipalType': 'AssumedRole',
            ...(organization?.Id
              ? { 'aws:PrincipalOrgID': organization.Id, 'aws:ResourceOrgID': organization.Id }
              : {}),
            'aws:ResourceAccount': accountId,
            'aws:RequestedRegion': HOME_REGION,
            'aws:SecureTransport': 'true',
            'aws:ViaAWSService': 'false',
            'aws:CurrentTime': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            ...call.context,
          },
        },
        // The access role is an administrator: only the SCPs can stand in the way.
        identityPolicies: [
          {
            name: accessRole,
            policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          },
        ],
        serviceControlPolicies,
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') {
      denials.push(`${call.action}: could not be simulated (${JSON.stringify(result.errors)})`);
      continue;
    }
    if (result.overallResult === 'Allowed') continue;
    const single = result.resultType === 'single' ? result.result : result.results[0];
    const explicit = single
      ? getDenialReasons(single.analysis).flatMap((d) =>
          d.policyType === 'scp' && d.denialType === 'Explicit' ? [d] : [],
        )[0]
      : undefined;
    const silent = single?.analysis.scpAnalysis?.ouAnalysis.find((ou) => ou.result === 'ImplicitlyDenied');
    denials.push(
      explicit
        ? `${call.action} denied by ${explicit.policyIdentifier ?? 'an SCP'}${explicit.statementId ? ` (statement ${explicit.statementId})` : ''}`
        : silent
          ? `${call.action} allowed by no SCP on ${silent.orgIdentifier}`
          : `${call.action} ${result.overallResult}`,
    );
  }
  const where = `${account.Name} (${accountId}), path ${levels.join(' / ')}`;
  if (denials.length > 0) {
    return fail(
      `on ${where}: ${denials.join('; ')}`,
      `exempt the member access role (${accessRole}) from the denying policy for the ${config.cicdRoleName} role, e.g. a Condition ArnNotLike aws:PrincipalArn arn:aws:iam::*:role/${accessRole}`,
    );
  }
  const count = serviceControlPolicies.reduce((n, l) => n + l.policies.length, 0);
  return pass(
    `${count} SCP(s) on ${where} allow the ${memberAccountCalls(config, accountId).length} IAM calls an onboarding makes there`,
  );
}

// ---- Deployment

async function checkDeployment({ options, io }: Context): Promise<Outcome> {
  const found: string[] = [];
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const kind of ['onboarding', 'reconcile'] as const) {
    let arn: string;
    try {
      arn = stateMachineArn(kind, options, io);
    } catch (error) {
      problems.push(`no ${kind} state machine given`);
      fixes.push((error as CliError).message);
      continue;
    }
    try {
      const sfn = new SFNClient(awsClientConfig(options, regionOfArn(arn)));
      const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
      if (described.status && described.status !== 'ACTIVE') {
        problems.push(`${arn} is ${described.status}`);
        fixes.push('deploy the stacks again: npx cdk deploy --all');
      } else {
        found.push(`${kind} ${described.name}`);
      }
    } catch (error) {
      problems.push(`${arn}: ${errorText(error)}`);
      fixes.push(
        'deploy the stacks (npx cdk deploy --all) and use the OnboardingStateMachineArn / ReconcileStateMachineArn outputs of the OidcAccountOnboarding stack',
      );
    }
  }
  if (problems.length > 0) return fail(problems.join('; '), [...new Set(fixes)].join('; '));
  return pass(`state machines deployed: ${found.join(', ')}`);
}

// ---- The command

export async function runDoctor(context: Context): Promise<CheckResult[]> {
  const { config, options } = context;
  const guard = (check: () => Promise<Outcome>) =>
    check().catch((error: unknown) =>
      fail(errorText(error), 'check the credentials (management account) and the network, then run doctor again'),
    );
  const organizations = new OrganizationsClient(awsClientConfig(options, HOME_REGION));
  const secret = checkSecret(context);
  const sample = sampleAccounts(context, organizations);
  const needsSecret = (check: (credentials: GitHubCredentials) => Promise<Outcome>) =>
    secret.then(({ credentials }) =>
      credentials ? guard(() => check(credentials)) : skip('needs the GitHub secret (see above)'),
    );
  const access: Promise<Outcome & { accessRole?: string }> = sample.then(
    (accounts) => guard(() => checkMemberAccess(context, accounts)),
    (error: unknown) => fail(errorText(error), 'use credentials of the management account that may list its accounts'),
  );
  const outcomes: Record<CheckId, Promise<Outcome>> = {
    cloudtrail: guard(() => checkCloudTrail(context)),
    secret: secret.then((s) => s.outcome),
    'github-permissions': needsSecret((c) => checkGitHubPermissions(context, c)),
    workflow: needsSecret((c) => checkWorkflow(context, c)),
    'member-access': access.then(({ accessRole: _, ...outcome }) => outcome),
    scp: Promise.all([sample, access]).then(
      ([accounts, accessOutcome]) => {
        const role = accessOutcome.accessRole ?? config.memberAccessRoleNames[0] ?? '';
        return guard(() => checkServiceControlPolicies(context, organizations, accounts[0], role));
      },
      () => skip('needs the list of accounts (see above)'),
    ),
    deployment: guard(() => checkDeployment(context)),
  };
  const results: CheckResult[] = [];
  for (const id of Object.keys(CHECKS) as CheckId[]) {
    results.push({ id, title: CHECKS[id], ...(await outcomes[id]) });
  }
  return results;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

export async function doctorCommand(flags: { sample: string }, options: GlobalOptions, io: Io): Promise<ExitCode> {
  const sample = Number(flags.sample);
  if (!Number.isInteger(sample) || sample < 1 || sample > 20) {
    throw new CliError(`--sample expects a whole number from 1 to 20, got "${flags.sample}"`, EXIT.usage);
  }
  const config = loadConfig(options, io);
  const out = new Output(io, options.json);
  const checks = await runDoctor({ config, options, io, sample });
  const ok = checks.every((c) => c.status !== 'fail');
  out.document({ ok, checks });
  for (const c of checks) {
    out.line(`${MARK[c.status]}  ${c.title}: ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`);
  }
  out.line();
  out.line(
    ok ? 'Every prerequisite is met.' : `${checks.filter((c) => c.status === 'fail').length} prerequisite(s) not met.`,
  );
  return ok ? EXIT.ok : EXIT.failed;
}
