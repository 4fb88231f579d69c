/**
 * Reconciliation end to end on the embedded stand-ins: the reconcile state machine file with the real reconcile
 * handlers (run files in the stand-in's S3, remediation through its Step Functions StartExecution into the real
 * onboarding state machine), against accounts onboarded and merged for real, then tampered with one drift class each.
 */
import type { DriftClass } from '../../functions/lib/drift';
import { type LocalEnvironment, type ReconcileRun, startLocalEnvironment } from '../../local/environment';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const FOLDER_FILES = ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'];

let env: LocalEnvironment;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });

/** Onboards an account through the onboarding state machine; returns its pull request number, if one opened. */
async function onboard(accountId: string): Promise<number | undefined> {
  const run = await env.startExecution({ accountId });
  if (run.outcome.status !== 'SUCCEEDED') throw new Error(`onboarding ${accountId} failed: ${run.outcome.cause}`);
  return (run.outcome.output as { pullRequest?: { number?: number } }).pullRequest?.number;
}

async function merge(pullNumber: number): Promise<void> {
  await env.github.octokit.pulls.merge({ ...repo(), pull_number: pullNumber, merge_method: 'merge' });
}

/** One commit on main, as a person pushing to the Terraform repo: path → new text, or null to delete it. */
async function commitToMain(changes: Record<string, string | null>, message: string): Promise<void> {
  const { octokit } = env.github;
  const head = (await octokit.git.getRef({ ...repo(), ref: 'heads/main' })).data.object.sha;
  const baseTree = (await octokit.git.getCommit({ ...repo(), commit_sha: head })).data.tree.sha;
  const tree = await octokit.git.createTree({
    ...repo(),
    base_tree: baseTree,
    tree: Object.entries(changes).map(([path, content]) =>
      content === null
        ? { path, mode: '100644' as const, type: 'blob' as const, sha: null }
        : { path, mode: '100644' as const, type: 'blob' as const, content },
    ),
  });
  const commit = await octokit.git.createCommit({ ...repo(), message, tree: tree.data.sha, parents: [head] });
  await octokit.git.updateRef({ ...repo(), ref: 'heads/main', sha: commit.data.sha });
}

const readMain = async (path: string) => (await gh().readFile('main', path)) as string;

/** What a run did that a report run must not do. */
function sideEffects(since: { aws: number; github: number }) {
  return {
    iamWrites: aws()
      .calls.slice(since.aws)
      .filter((c) => c.service === 'iam' && !/^(Get|List)/.test(c.action))
      .map((c) => `${c.action} in ${c.accountId}`),
    githubWrites: gh()
      .requests.slice(since.github)
      .filter((r) => r.contentCreating)
      .map((r) => r.route),
    executionsStarted: aws()
      .calls.slice(since.aws)
      .filter((c) => c.service === 'states' && c.action === 'StartExecution').length,
  };
}

const mark = () => ({ aws: aws().calls.length, github: gh().requests.length });

/** Drift classes per account of a run's report. */
function driftByAccount(run: ReconcileRun): Record<string, DriftClass[]> {
  return Object.fromEntries((run.report?.summary.accounts ?? []).map((a) => [a.accountId, a.drift]));
}

/** The account ids of the scenario, one per drift class. */
const ids: Record<string, string> = {};
let declinedPull: number;
let stalePull: number;
let editedPull: number;
let cleanRun: ReconcileRun;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    config: { reconcile: { schedule: 'rate(1 day)', mode: 'report', remediationBudget: 50, concurrency: 10 } },
  });
  const state = aws().state;
  const names = [
    'drift-pr-stale',
    'drift-role-missing',
    'drift-trust-changed',
    'drift-principal',
    'drift-policy-detached',
    'drift-not-managed',
    'drift-folder-deleted',
    'drift-tfvars',
    'drift-matrix',
    'drift-pr-declined',
    'drift-pr-edited',
    'drift-suspended',
  ];
  for (const name of names) ids[name] = state.createAccount({ name }).id;

  // Every account onboarded, one at a time with its pull request merged (each edits the same matrix line), except
  // drift-pr-stale and drift-pr-declined, whose pull requests stay open (the tampering below closes the second).
  for (const accountId of [aws().accounts.workloads[0], aws().accounts.workloads[1], env.aws.toolingAccountId]) {
    const pull = await onboard(accountId);
    if (pull) await merge(pull);
  }
  for (const name of names.filter((n) => !n.startsWith('drift-pr-'))) {
    await merge((await onboard(ids[name] as string)) as number);
  }
  declinedPull = (await onboard(ids['drift-pr-declined'] as string)) as number;
  stalePull = (await onboard(ids['drift-pr-stale'] as string)) as number;
  editedPull = (await onboard(ids['drift-pr-edited'] as string)) as number;

  cleanRun = await env.runReconcile('report');

  // One drift per class.
  const cicd = env.config.cicdRoleName;
  state.deleteRole(ids['drift-role-missing'] as string, cicd, { force: true });
  state.setTrustPolicyUnchecked(ids['drift-trust-changed'] as string, cicd, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }],
  });
  state.detachRolePolicy(ids['drift-policy-detached'] as string, cicd, ADMIN);
  state.untagRole(ids['drift-not-managed'] as string, cicd, [env.config.managedTag.key]);
  // The tooling account's pipeline role deleted and created again: every trust naming it now shows its old AROA id.
  state.recreateRole(env.aws.toolingAccountId, 'GitHubAction-AssumeRoleWithAction');
  // An account invited into the organization: no OrganizationAccountAccessRole to assume.
  ids['drift-invited'] = state.createAccount({ name: 'drift-invited', joinedMethod: 'INVITED', accessRoleName: '' }).id;
  state.getAccount(ids['drift-suspended'] as string).status = 'SUSPENDED';
  await env.github.octokit.pulls.update({ ...repo(), pull_number: declinedPull, state: 'closed' });
  // A reviewer pushes to an onboarding branch: from then on the pull request is theirs.
  await gh().store.commitFiles(
    `onboarding/${ids['drift-pr-edited']}`,
    { 'aws-accounts/drift-pr-edited/main.tf': 'resource "aws_s3_bucket" "logs" {}\n' },
    'Add the logs bucket',
    { name: 'Rita Reviewer', email: 'rita@example.com', date: new Date().toISOString() },
  );
  const tfvarsPath = 'aws-accounts/drift-tfvars/terraform.tfvars';
  const workflow = await readMain(WORKFLOW);
  await commitToMain(
    {
      ...Object.fromEntries(FOLDER_FILES.map((f) => [`aws-accounts/drift-folder-deleted/${f}`, null])),
      // The team renamed the id variable: the tfvars names no aws_account_id any more (a person's decision).
      [tfvarsPath]: (await readMain(tfvarsPath)).replace('aws_account_id', 'account_id'),
      [WORKFLOW]: workflow.replace(", 'aws-accounts/drift-matrix'", ''),
    },
    'Hand edits on main',
  );
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  expect(gh().invalidRequests).toEqual([]);
});

describe('reconciliation end to end', () => {
  it('finds no drift in accounts onboarded and merged, and counts open up-to-date pull requests as pending', () => {
    // Assess (the run is in beforeAll, before any tampering)
    expect(cleanRun.outcome.status).toBe('SUCCEEDED');
    expect(cleanRun.report?.summary.accounts).toEqual([]);
    expect(cleanRun.report?.summary.orphanFolders).toEqual([]);
    expect(cleanRun.report?.summary.pendingPullRequests.map((p) => p.accountId).sort()).toEqual(
      [ids['drift-pr-stale'], ids['drift-pr-declined'], ids['drift-pr-edited']].sort(),
    );
  });

  let reported: ReconcileRun;

  it('reports every drift class in report mode and changes nothing', async () => {
    // Prepare
    const since = mark();
    const mainBefore = (await env.github.octokit.git.getRef({ ...repo(), ref: 'heads/main' })).data.object.sha;
    const pullsBefore = await gh().listPulls();

    // Act
    reported = await env.runReconcile('report');

    // Assess
    expect(reported.outcome.status).toBe('SUCCEEDED');
    const drift = driftByAccount(reported);
    expect(drift[ids['drift-role-missing'] as string]).toEqual(['role-missing']);
    expect(drift[ids['drift-trust-changed'] as string]).toEqual(['trust-policy-changed']);
    expect(drift[ids['drift-principal'] as string]).toEqual(['trust-principal-rewritten']);
    expect(drift[ids['drift-policy-detached'] as string]).toEqual(['trust-principal-rewritten', 'policy-detached']);
    expect(drift[ids['drift-not-managed'] as string]).toEqual(['role-not-managed']);
    expect(drift[ids['drift-invited'] as string]).toEqual([
      'account-not-assumable',
      'folder-missing',
      'matrix-entry-missing',
    ]);
    // An account that cannot be assumed cannot be onboarded: its repository changes wait for a person too.
    const invited = reported.report?.summary.accounts.find((a) => a.accountId === ids['drift-invited']);
    expect(invited?.remediable).toBe(false);
    expect(drift[ids['drift-pr-edited'] as string]).toEqual(['trust-principal-rewritten', 'pr-edited']);
    expect(drift[ids['drift-folder-deleted'] as string]).toEqual(['trust-principal-rewritten', 'folder-missing']);
    expect(drift[ids['drift-tfvars'] as string]).toEqual(['trust-principal-rewritten', 'tfvars-account-id']);
    expect(drift[ids['drift-matrix'] as string]).toEqual(['trust-principal-rewritten', 'matrix-entry-missing']);
    // Never merged: its folder and matrix entry are missing on main, and its open pull request no longer matches main.
    expect(drift[ids['drift-pr-stale'] as string]).toEqual([
      'trust-principal-rewritten',
      'folder-missing',
      'matrix-entry-missing',
      'pr-stale',
    ]);
    expect(drift[ids['drift-pr-declined'] as string]).toEqual(['trust-principal-rewritten', 'pr-declined']);
    expect(reported.report?.summary.orphanFolders).toEqual([
      expect.objectContaining({ folder: 'aws-accounts/drift-suspended', accountId: ids['drift-suspended'] }),
      expect.objectContaining({ folder: 'aws-accounts/drift-tfvars' }),
    ]);
    // Every class but policy-not-in-profile and boundary-changed (no profile and no boundary configured here; see
    // cicd-role-retired.test.ts and cicd-role.test.ts) is present.
    const counts = reported.result?.counts ?? {};
    expect(Object.entries(counts).filter(([, n]) => n === 0)).toEqual([
      ['policy-not-in-profile', 0],
      ['boundary-changed', 0],
    ]);
    // Nothing changed: no IAM write, no GitHub write, no onboarding execution, main and the pull requests as they were.
    expect(sideEffects(since)).toEqual({ iamWrites: [], githubWrites: [], executionsStarted: 0 });
    expect(reported.executions).toEqual([]);
    expect(reported.report?.remediation).toEqual({ started: [], alreadyStarted: [], deferred: [] });
    expect((await env.github.octokit.git.getRef({ ...repo(), ref: 'heads/main' })).data.object.sha).toBe(mainBefore);
    expect(await gh().listPulls()).toEqual(pullsBefore);
    expect(await env.readRole(ids['drift-role-missing'] as string)).toBeUndefined();
  });

  it('repairs the remediable drift in remediate mode and leaves what needs a person', async () => {
    // Prepare
    const remediable = (reported.report?.summary.accounts ?? []).filter((a) => a.remediable).map((a) => a.accountId);

    // Act
    const remediated = await env.runReconcile('remediate');
    const after = await env.runReconcile('report');

    // Assess: one onboarding execution per remediable account, started through StartExecution
    expect(remediated.outcome.status).toBe('SUCCEEDED');
    expect(remediated.executions.map((e) => (e.input as { accountId: string }).accountId).sort()).toEqual(
      [...remediable].sort(),
    );
    expect(remediated.executions.every((e) => e.name.startsWith('reconcile-'))).toBe(true);
    // Only remediable changes start an execution, and none of them fails (a blocked one would alert every day).
    const failed = remediated.executions.filter((e) => e.status !== 'SUCCEEDED');
    expect(failed).toEqual([]);
    // The roles are as configured again.
    for (const name of ['drift-role-missing', 'drift-trust-changed', 'drift-principal', 'drift-policy-detached']) {
      const role = await env.readRole(ids[name] as string);
      expect(JSON.stringify(role?.trustPolicy)).toContain(aws().pipelineRoleArn);
      expect(role?.policies).toEqual([ADMIN]);
    }
    // The next report: the remediable classes are gone (repairs of the repository await review as pull requests);
    // what needs a person is still reported, and the declined pull request was not reopened.
    const drift = driftByAccount(after);
    expect(drift).toEqual({
      [ids['drift-not-managed'] as string]: ['role-not-managed'],
      [ids['drift-invited'] as string]: ['account-not-assumable', 'folder-missing', 'matrix-entry-missing'],
      [ids['drift-tfvars'] as string]: ['tfvars-account-id'],
      [ids['drift-pr-declined'] as string]: ['pr-declined'],
      [ids['drift-pr-edited'] as string]: ['pr-edited'],
    });
    // Only what needs a person is left.
    expect((after.report?.summary.accounts ?? []).filter((a) => a.remediable)).toEqual([]);
    expect(after.report?.summary.orphanFolders.map((o) => o.folder)).toEqual([
      'aws-accounts/drift-suspended',
      'aws-accounts/drift-tfvars',
    ]);
    const pending = after.report?.summary.pendingPullRequests.map((p) => p.accountId).sort();
    expect(pending).toEqual([ids['drift-folder-deleted'], ids['drift-matrix'], ids['drift-pr-stale']].sort());
    const pulls = (await gh().listPulls()) as Array<{ number: number; state: string; head: { ref: string } }>;
    const declined = pulls.filter((p) => p.head.ref === `onboarding/${ids['drift-pr-declined']}`);
    expect(declined.map((p) => [p.number, p.state])).toEqual([[declinedPull, 'closed']]);
    // The stale pull request was brought up to date in place, not replaced.
    const stale = pulls.filter((p) => p.head.ref === `onboarding/${ids['drift-pr-stale']}`);
    expect(stale.map((p) => [p.number, p.state])).toEqual([[stalePull, 'open']]);
    const edited = pulls.filter((p) => p.head.ref === `onboarding/${ids['drift-pr-edited']}`);
    expect(edited.map((p) => [p.number, p.state])).toEqual([[editedPull, 'open']]);
  });

  it('changes nothing when every account is onboarded again: the sweep reporting only what needs a person means an onboarding would write nothing', async () => {
    // Prepare
    const since = mark();
    const accounts = Object.values(ids).filter((id) => id !== ids['drift-suspended']);

    // Act
    const runs = await Promise.all(accounts.map((accountId) => env.startExecution({ accountId })));

    // Assess: no write anywhere; the accounts that need a person fail with the named error that says so
    expect(sideEffects(since)).toEqual({ iamWrites: [], githubWrites: [], executionsStarted: 0 });
    const failures = Object.fromEntries(
      runs.flatMap((r, i) => (r.outcome.status === 'FAILED' ? [[accounts[i], r.outcome.error]] : [])),
    );
    expect(failures).toEqual({
      [ids['drift-not-managed'] as string]: 'RoleNotManaged',
      [ids['drift-invited'] as string]: 'AccountNotReady',
      [ids['drift-tfvars'] as string]: 'RepositoryNeedsAPerson',
    });
  });
});
