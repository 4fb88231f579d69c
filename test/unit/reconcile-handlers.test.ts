import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsThrottled, InvalidInput } from '../../functions/lib/errors';
import { makeHandler as makeCheck } from '../../functions/reconcile-check/handler';
import { makeHandler as makeInventory } from '../../functions/reconcile-inventory/handler';
import { makeHandler as makeRepo } from '../../functions/reconcile-repo/handler';
import { type MetricsSink, makeHandler as makeReport } from '../../functions/reconcile-report/handler';
import { assumedCredentials, existingRole, stsAccessDenied } from '../support/ensure-cicd-role-fixtures';
import { seededGitHub } from '../support/github-fetch';
import { memoryObjectStore } from '../support/memory-object-store';
import { accounts, onboardedRepoFiles, reconcileConfig } from '../support/reconcile-fixtures';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const ONBOARDING_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:onboard-account';

/**
 * An organization of `count` accounts whose repo onboards all of them; `drifted` accounts have lost their cicd
 * role and account 200000000001 cannot be assumed.
 */
async function world(count: number, drifted: number, budget = 20) {
  const config = reconcileConfig({
    reconcile: { schedule: 'rate(1 day)', mode: 'report', remediationBudget: budget, concurrency: 4 },
  });
  const org = accounts(count);
  const fake = await seededGitHub(onboardedRepoFiles(org, config));
  const organizations = mockClient(OrganizationsClient);
  organizations.on(ListAccountsCommand).callsFake(({ NextToken }) => {
    const start = Number(NextToken ?? 0);
    const page = org.slice(start, start + 20);
    return {
      Accounts: page.map((a) => ({ Id: a.accountId, Name: a.name, Email: a.email, State: 'ACTIVE' })),
      NextToken: start + 20 < org.length ? String(start + 20) : undefined,
    };
  });
  const sts = mockClient(STSClient);
  const missingRole = new Set(org.slice(2, 2 + drifted).map((a) => a.accountId));
  let current = '';
  sts.on(AssumeRoleCommand).callsFake(({ RoleArn }) => {
    current = /iam::(\d{12}):/.exec(RoleArn)?.[1] ?? '';
    if (current === '200000000001') throw stsAccessDenied(RoleArn);
    return { Credentials: assumedCredentials };
  });
  const iam = mockClient(IAMClient);
  iam.on(GetRoleCommand).callsFake(() => {
    if (missingRole.has(current)) throw Object.assign(new Error('no role'), { name: 'NoSuchEntityException' });
    return { Role: existingRole() };
  });
  iam
    .on(ListAttachedRolePoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' }] });
  const sfn = mockClient(SFNClient);
  const sns = mockClient(SNSClient);
  const store = memoryObjectStore();
  const metrics: Record<string, number> = {};
  const sink: MetricsSink = {
    addMetric: (name, _unit, value) => {
      metrics[name] = value;
    },
    publishStoredMetrics: () => {},
  };
  const deps = {
    config,
    store,
    organizations: new OrganizationsClient({}),
    github: async () => fake.octokit,
    sts: new STSClient({}),
    // Sequential reads per account keep `current` right: concurrency interleaves only across accounts' awaits.
    iamFor: () => new IAMClient({}),
    sns: new SNSClient({}),
    sfn: new SFNClient({}),
    metrics: sink,
    topicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
    onboardingStateMachineArn: ONBOARDING_ARN,
  };
  const restore = async () => {
    for (const m of [organizations, sts, iam, sfn, sns]) m.restore();
    await fake.stop();
  };
  return { config, deps, store, sfn, sns, metrics, restore, fake };
}

async function run(w: Awaited<ReturnType<typeof world>>, mode: 'report' | 'remediate') {
  const inventory = await makeInventory(w.deps)({
    input: { mode },
    execution: { name: 'daily', startTime: '2025-06-01T06:00:12.000Z' },
  });
  const check = makeCheck({ ...w.deps, config: { ...w.config, reconcile: { ...w.config.reconcile, concurrency: 1 } } });
  // The state machine runs the repository read alongside the checks; here it goes first, then the checks in turn.
  const repository = await makeRepo(w.deps)({ snapshotKey: inventory.snapshotKey });
  for (const batch of inventory.batches) await check({ snapshotKey: inventory.snapshotKey, batch });
  return { inventory, repository, report: await makeReport(w.deps)({ ...inventory }) };
}

describe('reconcile handlers', () => {
  it('in report mode reports the drift, notifies and publishes metrics, and starts nothing', async () => {
    // Prepare
    const w = await world(130, 3);
    try {
      // Act
      const { inventory, repository, report } = await run(w, 'report');
      // Assess
      expect(repository).toEqual({ repoKey: 'runs/daily/repo.json', folders: 130, onboardingPullRequests: 0 });
      expect(inventory).toMatchObject({
        snapshotKey: 'runs/daily/snapshot.json',
        // 130 accounts fill the Map's 5 parallel slots: 5 batches of 26, not 2 of 100.
        batchCount: 5,
        accountCount: 130,
        runId: '202506010600',
      });
      expect(report).toMatchObject({
        mode: 'report',
        accountsChecked: 130,
        driftedAccounts: 4,
        started: 0,
        deferred: 0,
      });
      expect(report.counts).toMatchObject({ 'role-missing': 3, 'account-not-assumable': 1 });
      expect(w.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      const [publish] = w.sns.commandCalls(PublishCommand);
      expect(publish?.args[0].input.Message).toContain('200000000001 (workload-0001)');
      expect(publish?.args[0].input.Message).toMatch(/invited into the organization/);
      expect(w.metrics).toMatchObject({
        DriftedAccounts: 4,
        'Drift.role-missing': 3,
        RemediationsStarted: 0,
        RemediationAccountsBatched: 0,
      });
      expect(w.store.keys()).toEqual([
        'runs/daily/repo.json',
        'runs/daily/report.json',
        'runs/daily/results/0.json',
        'runs/daily/results/1.json',
        'runs/daily/results/2.json',
        'runs/daily/results/3.json',
        'runs/daily/results/4.json',
        'runs/daily/snapshot.json',
      ]);
    } finally {
      await w.restore();
    }
  });

  it('in remediate mode starts onboarding executions within the budget and reports the rest as deferred', async () => {
    // Prepare
    const w = await world(12, 5, 2);
    try {
      // Act
      const { report } = await run(w, 'remediate');
      // Assess
      const inputs = w.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
      expect(inputs).toHaveLength(2);
      for (const input of inputs) {
        const body = JSON.parse(input.input ?? '{}');
        expect(input.stateMachineArn).toBe(ONBOARDING_ARN);
        expect(input.name).toBe(`reconcile-202506010600-${body.accountId}`);
        expect(body).toEqual({ accountId: body.accountId, trigger: 'reconcile', drift: ['role-missing'] });
      }
      // 5 role-missing accounts are remediable; the unassumable one needs a person and takes no budget.
      expect(report).toMatchObject({ driftedAccounts: 6, started: 2, deferred: 3 });
      expect(w.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message).toMatch(/deferred to the next run: 3/);
    } finally {
      await w.restore();
    }
  });

  it("reads a run's snapshot once in a container that checks several of its batches, and still checks them all", async () => {
    // Prepare
    const w = await world(130, 3);
    const reads: string[] = [];
    const getJson = w.store.getJson.bind(w.store);
    w.store.getJson = async <T>(key: string): Promise<T> => {
      reads.push(key);
      return getJson<T>(key);
    };
    try {
      // Act
      const { inventory, report } = await run(w, 'report');
      // Assess
      expect(inventory.batchCount).toBe(5);
      expect(reads.filter((k) => k === inventory.snapshotKey)).toHaveLength(1 + 1); // the check container, the report
      expect(report).toMatchObject({ accountsChecked: 130, driftedAccounts: 4 });
    } finally {
      await w.restore();
    }
  });

  it("joins each account's role findings with its repository findings in the report", async () => {
    // Prepare: account 200000000002 lost its role, and its folder is gone from the repository
    const w = await world(6, 1);
    const gone = Object.keys(onboardedRepoFiles(accounts(6), w.config)).filter((name) =>
      name.startsWith('aws-accounts/workload-0002/'),
    );
    await w.fake.commitFiles('main', Object.fromEntries(gone.map((name) => [name, null])), 'Remove a folder');
    try {
      // Act
      const { report } = await run(w, 'report');
      // Assess
      expect(report.counts).toMatchObject({ 'role-missing': 1, 'folder-missing': 1, 'account-not-assumable': 1 });
      const stored = await w.store.getJson<{ summary: { accounts: Array<{ accountId: string; drift: string[] }> } }>(
        report.reportKey,
      );
      expect(stored.summary.accounts.find((a) => a.accountId === '200000000002')?.drift).toEqual([
        'role-missing',
        'folder-missing',
      ]);
    } finally {
      await w.restore();
    }
  });

  it('refuses a repository step event without a run snapshot key, reading nothing', async () => {
    const w = await world(2, 0);
    try {
      await expect(makeRepo(w.deps)({ snapshotKey: 'elsewhere.json' })).rejects.toThrow(
        /reconcile-repo expects \{"snapshotKey"/,
      );
      expect(w.fake.requests).toHaveLength(0);
      expect(w.store.keys()).toEqual([]);
    } finally {
      await w.restore();
    }
  });

  it('hands accounts that lack folders to the refresh for batch pull requests, and converges a drifted role first', async () => {
    // Prepare: 200000000002 lost its role and its folder; 200000000003 and 200000000004 lost their folders only
    const w = await world(6, 1);
    const REFRESH_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:refresh';
    const gone = Object.keys(onboardedRepoFiles(accounts(6), w.config)).filter((name) =>
      /^aws-accounts\/workload-000[234]\//.test(name),
    );
    await w.fake.commitFiles('main', Object.fromEntries(gone.map((name) => [name, null])), 'Remove three folders');
    try {
      // Act
      const inventory = await makeInventory(w.deps)({
        input: { mode: 'remediate' },
        execution: { name: 'daily', startTime: '2025-06-01T06:00:12.000Z' },
      });
      await makeRepo(w.deps)({ snapshotKey: inventory.snapshotKey });
      const check = makeCheck({
        ...w.deps,
        config: { ...w.config, reconcile: { ...w.config.reconcile, concurrency: 1 } },
      });
      for (const batch of inventory.batches) await check({ snapshotKey: inventory.snapshotKey, batch });
      const report = await makeReport({ ...w.deps, refreshStateMachineArn: REFRESH_ARN })({ ...inventory });

      // Assess: a role-only execution for the account whose role drifted, one refresh run for the batch
      const starts = w.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
      expect(starts.map((s) => [s.stateMachineArn, s.name, JSON.parse(s.input ?? '{}')])).toEqual([
        [ONBOARDING_ARN, 'reconcile-202506010600-200000000002', { accountId: '200000000002', trigger: 'backfill' }],
        [
          REFRESH_ARN,
          'reconcile-202506010600-refresh',
          { render: true, batches: 'runs/daily/remediation-batches.json' },
        ],
      ]);
      expect(w.metrics).toMatchObject({ RemediationsStarted: 1, RemediationAccountsBatched: 2 });
      expect(await w.store.getJson('runs/daily/remediation-batches.json')).toEqual({
        runId: '202506010600',
        accounts: ['200000000003', '200000000004'].map((id, i) => ({
          accountId: id,
          name: `workload-000${i + 3}`,
          email: `aws+${i + 3}@example.com`,
        })),
      });
      expect(report).toMatchObject({ started: 1, batched: 2, deferred: 0 });
      const message = w.sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message).toContain(
        "200000000002 (workload-0002) [role first: its folder follows in the next sweep's batch",
      );
      expect(message).toContain('200000000003 (workload-0003) [in a batch pull request]');
      expect(message).toMatch(/Batch pull requests: 1 for 2 account\(s\)/);
    } finally {
      await w.restore();
    }
  });

  it('refuses a check step event without a batch index, reading nothing', async () => {
    const w = await world(2, 0);
    try {
      const check = makeCheck(w.deps);
      await expect(check({ snapshotKey: 'runs/daily/snapshot.json', batch: -1 })).rejects.toThrow(
        /reconcile-check expects \{"snapshotKey": "runs\/…\/snapshot.json", "batch": 0\}/,
      );
      await expect(check({ snapshotKey: 'runs/daily/snapshot.json' })).rejects.toBeInstanceOf(InvalidInput);
      expect(w.store.keys()).toEqual([]);
    } finally {
      await w.restore();
    }
  });

  it('treats executions an earlier attempt of the same run started as started, not as failures', async () => {
    // Prepare
    const w = await world(6, 2, 5);
    w.sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    try {
      // Act
      const { report } = await run(w, 'remediate');
      // Assess
      expect(report).toMatchObject({ started: 0, alreadyStarted: 2, deferred: 0 });
    } finally {
      await w.restore();
    }
  });

  it('names a drift notification that SNS throttles AwsThrottled, for the state machine to retry the report', async () => {
    // Prepare
    const w = await world(6, 2);
    w.sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} }));
    try {
      // Act / Assess
      await expect(run(w, 'report')).rejects.toBeInstanceOf(AwsThrottled);
    } finally {
      await w.restore();
    }
  });
});
