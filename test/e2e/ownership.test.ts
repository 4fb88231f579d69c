/**
 * The Terraform repository stays the team's, end to end on the embedded stand-ins (real state machines, handlers,
 * reconciliation): a person's commits, files, pull requests and folders survive every path that writes (account
 * event, manual re-run, `force`, a `remediate` sweep), and exactly one open pull request targets each folder.
 */
import { parseOnboardingMarker } from '../../functions/lib/onboarding-change';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 0 } } });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(async () => {
  expect(env.github.standIn?.invalidRequests).toEqual([]);
  await expectOnePullRequestPerFolder();
});

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });
const person = { name: 'Rita Reviewer', email: 'rita@example.com', date: new Date().toISOString() };

interface Pull {
  number: number;
  state: string;
  title: string;
  body: string | null;
  head: { ref: string; sha: string };
}

async function pulls(): Promise<Pull[]> {
  return (await gh().listPulls()) as unknown as Pull[];
}

const pullsOf = async (accountId: string) => (await pulls()).filter((p) => p.head.ref === `onboarding/${accountId}`);

/** Exactly one open onboarding pull request per folder, across every account. */
async function expectOnePullRequestPerFolder(): Promise<void> {
  const folders = (await pulls())
    .filter((p) => p.state === 'open')
    .map((p) => parseOnboardingMarker(p.body)?.folder)
    .filter((f): f is string => f !== undefined);
  expect(new Set(folders).size).toBe(folders.length);
}

/** Creates an account and delivers its events, as EventBridge would. */
async function onboardNew(name: string) {
  const created = await env.createAccount(name);
  const deliveries = await Promise.all(created.events.map((e) => env.deliver(e)));
  return { accountId: created.accountId, deliveries };
}

async function merge(accountId: string): Promise<void> {
  const [open] = (await pullsOf(accountId)).filter((p) => p.state === 'open');
  if (!open) throw new Error(`no open pull request for ${accountId}`);
  await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: open.number });
}

const personCommits = (branch: string, files: Record<string, string>) =>
  gh().store.commitFiles(branch, files, 'A person edits', person);

const outputOf = (report: { outcome: { status: string } }) =>
  (
    report.outcome as {
      output?: { decision?: string; folder?: string; pullRequest?: { outcome: string; folder: string } };
    }
  ).output;

/** The outputs of the executions that wrote: the other event's execution of an account creation is a duplicate. */
const writers = (deliveries: Array<{ report?: { outcome: { status: string } } }>) => {
  const outputs = deliveries.map((d) => outputOf(d.report ?? { outcome: { status: '' } }));
  return outputs.filter((o) => o?.decision !== 'duplicate');
};

describe("the repository stays the team's", () => {
  it("1. keeps a reviewer's commit on the onboarding branch through a re-run, force and a remediate sweep", async () => {
    // Prepare: the reviewer adds a bucket; another account's pull request merges, so the branch is now stale
    const { accountId } = await onboardNew('Reviewed Account');
    const branch = `onboarding/${accountId}`;
    const folder = 'aws-accounts/reviewed-account';
    const reviewer = await personCommits(branch, { [`${folder}/main.tf`]: 'resource "aws_s3_bucket" "logs" {}\n' });
    const [before] = await pullsOf(accountId);
    const other = await onboardNew('Merged First');
    await merge(other.accountId);

    // Act
    const rerun = await env.startExecution({ accountId });
    const forced = await env.startExecution({ accountId, force: true });
    const sweep = await env.runReconcile('remediate');

    // Assess: the person's commit is the head, their PR text unchanged, one comment explains, nothing remediated
    expect(outputOf(rerun)?.pullRequest?.outcome).toBe('edited');
    expect(outputOf(forced)?.pullRequest?.outcome).toBe('edited');
    expect(await gh().store.resolveRef(`refs/heads/${branch}`)).toBe(reviewer);
    const [after] = await pullsOf(accountId);
    expect([after?.title, after?.body, after?.state]).toEqual([before?.title, before?.body, 'open']);
    const comments = await env.github.octokit.rest.issues.listComments({ ...repo(), issue_number: after?.number ?? 0 });
    expect(comments.data).toHaveLength(1);
    const drifted = sweep.report?.summary.accounts.find((a) => a.accountId === accountId);
    expect(drifted?.drift).toEqual(['pr-edited']);
    expect(drifted?.remediable).toBe(false);
    expect(sweep.executions.map((e) => e.input)).not.toContainEqual(expect.objectContaining({ accountId }));
  });

  it('2. never touches a pull request a person opened from a branch named like the onboarding branch', async () => {
    // Prepare: the account exists; before its events arrive, a person opens their own PR from onboarding/<id>
    const created = await env.createAccount('Someone Elses Branch');
    const branch = `onboarding/${created.accountId}`;
    const theirs = await personCommits(branch, { 'docs/notes.md': 'my notes\n' });
    const { data: pr } = await env.github.octokit.rest.pulls.create({
      ...repo(),
      head: branch,
      base: 'main',
      title: 'My own work',
      body: 'Please keep this.',
    });

    // Act
    const deliveries = await Promise.all(created.events.map((e) => env.deliver(e)));
    const forced = await env.startExecution({ accountId: created.accountId, force: true });

    // Assess
    expect(writers(deliveries).map((o) => o?.pullRequest?.outcome)).toEqual(['edited']);
    expect(outputOf(forced)?.pullRequest?.outcome).toBe('edited');
    expect(await gh().store.resolveRef(`refs/heads/${branch}`)).toBe(theirs);
    const [after] = await pullsOf(created.accountId);
    expect([after?.number, after?.title, after?.body]).toEqual([pr.number, 'My own work', 'Please keep this.']);
    const comments = await env.github.octokit.rest.issues.listComments({ ...repo(), issue_number: pr.number });
    expect(comments.data).toEqual([]);
  });

  it('3. never rewrites a terraform.tfvars a team keeps its own values in; reports it for a person', async () => {
    // Prepare: onboarded and merged, then the team renames the id variable and adds their own
    const { accountId } = await onboardNew('Team Values');
    await merge(accountId);
    const path = 'aws-accounts/team-values/terraform.tfvars';
    const theirs = `account_id = "${accountId}"\nbudget_alarm_email = "finops@example.com"\nvpc_cidr = "10.20.0.0/16"\n`;
    await gh().seed({ [path]: theirs });
    const openBefore = (await pulls()).filter((p) => p.state === 'open').length;

    // Act
    const sweep = await env.runReconcile('remediate');
    const rerun = await env.startExecution({ accountId });

    // Assess
    expect(await gh().readFile('main', path)).toBe(theirs);
    const drifted = sweep.report?.summary.accounts.find((a) => a.accountId === accountId);
    expect(drifted).toMatchObject({ drift: ['tfvars-account-id'], remediable: false });
    expect(sweep.executions.map((e) => e.input)).not.toContainEqual(expect.objectContaining({ accountId }));
    expect(rerun.outcome).toMatchObject({ status: 'FAILED', error: 'RepositoryNeedsAPerson' });
    expect((await pulls()).filter((p) => p.state === 'open')).toHaveLength(openBefore);
  });

  it('4. gives a new "Legacy App" its own folder, never the departed account\'s, and keeps that one an orphan', async () => {
    // Prepare: legacy-app names an account that left the organization
    const departed = 'aws-accounts/legacy-app/terraform.tfvars';
    await gh().seed({ [departed]: 'aws_account_id = "999999999998"\n', 'aws-accounts/legacy-app/main.tf': '# old\n' });

    // Act
    const { accountId, deliveries } = await onboardNew('Legacy App');
    const sweep = await env.runReconcile('remediate');

    // Assess: 7. the execution output and the PR name the folder actually written
    const folder = `aws-accounts/legacy-app-${accountId}`;
    expect(writers(deliveries).map((o) => o?.folder)).toEqual([folder]);
    const [pr] = await pullsOf(accountId);
    expect(parseOnboardingMarker(pr?.body)?.folder).toBe(folder);
    expect(pr?.body).toContain(`| Folder | \`${folder}\` |`);
    expect(await gh().readFile(`onboarding/${accountId}`, departed)).toBe('aws_account_id = "999999999998"\n');
    expect(await gh().readFile(`onboarding/${accountId}`, `${folder}/terraform.tfvars`)).toContain(accountId);
    expect(sweep.report?.summary.orphanFolders.map((o) => o.folder)).toContain('aws-accounts/legacy-app');
    expect(sweep.report?.summary.accounts.find((a) => a.accountId === accountId)).toBeUndefined();
    expect(parseOnboardingMarker((await pullsOf(accountId))[0]?.body)?.folder).toBe(folder);
  });

  it('5. does not adopt a hand-made folder that has Terraform files but no tfvars naming the account', async () => {
    // Prepare
    const mainTf = 'terraform {\n  backend "s3" {}\n}\nprovider "aws" {}\n';
    await gh().seed({ 'aws-accounts/hand-made/main.tf': mainTf });

    // Act
    const { accountId } = await onboardNew('Hand Made');

    // Assess
    const branch = `onboarding/${accountId}`;
    const files = Object.keys(await filesOf(branch));
    expect(files.filter((f) => f.startsWith('aws-accounts/hand-made/'))).toEqual(['aws-accounts/hand-made/main.tf']);
    expect(await gh().readFile(branch, 'aws-accounts/hand-made/main.tf')).toBe(mainTf);
    expect(files).toContain(`aws-accounts/hand-made-${accountId}/backend.tf`);
  });

  it('6. gives two same-slug accounts created at once one pull request per folder', async () => {
    // Act: both accounts' events arrive together
    const [a, b] = await Promise.all([env.createAccount('Collide Me'), env.createAccount('collide-me')]);
    const reports = await Promise.all([...(a?.events ?? []), ...(b?.events ?? [])].map((e) => env.deliver(e)));

    // Assess (afterEach: one open PR per folder)
    expect(reports.every((r) => r.report?.outcome.status === 'SUCCEEDED')).toBe(true);
    const folders = await Promise.all(
      [a, b].map(async (c) => parseOnboardingMarker((await pullsOf(c?.accountId ?? ''))[0]?.body)?.folder),
    );
    expect(new Set(folders).size).toBe(2);
    expect(folders).toContain('aws-accounts/collide-me');
    // 7. each execution names the folder its pull request writes
    const written = writers(reports);
    expect(written).toHaveLength(2);
    for (const output of written) expect(folders).toContain(output?.folder);
  });

  it("8. reports a typo that gives another member's id, never handing the folder over", async () => {
    // Prepare: two onboarded accounts; a person's typo puts the first one's id into the second one's tfvars
    const first = await onboardNew('Typo Target');
    await merge(first.accountId);
    const second = await onboardNew('Typo Source');
    await merge(second.accountId);
    const path = 'aws-accounts/typo-source/terraform.tfvars';
    const typo = ((await gh().readFile('main', path)) ?? '').replace(second.accountId, first.accountId);
    await gh().seed({ [path]: typo });

    // Act
    const sweep = await env.runReconcile('remediate');
    const rerun = await env.startExecution({ accountId: second.accountId });

    // Assess
    for (const id of [first.accountId, second.accountId]) {
      const drifted = sweep.report?.summary.accounts.find((a) => a.accountId === id);
      expect(drifted).toMatchObject({ drift: ['tfvars-account-id'], remediable: false });
      expect(sweep.executions.map((e) => e.input)).not.toContainEqual(expect.objectContaining({ accountId: id }));
    }
    expect(rerun.outcome).toMatchObject({ status: 'FAILED', error: 'RepositoryNeedsAPerson' });
    expect(await gh().readFile('main', path)).toBe(typo);
    expect((await pullsOf(second.accountId)).filter((p) => p.state === 'open')).toEqual([]);
  });
});

async function filesOf(ref: string): Promise<Record<string, true>> {
  const tree = await gh().store.resolveTreeish(ref);
  if (!tree) return {};
  const entries = await gh().store.listTree(tree, true);
  return Object.fromEntries(entries.filter((e) => e.type === 'blob').map((e) => [e.path, true as const]));
}
