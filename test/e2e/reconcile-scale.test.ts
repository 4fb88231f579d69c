/**
 * Reconciliation at scale on the embedded stand-ins: the same organization reconciled with 10 and then with 1,000
 * checked accounts (made directly in the stand-in's state, each with its cicd role as the onboarding leaves it and
 * its folder on main). GitHub is read with the same requests however many accounts there are; AWS calls grow by a
 * fixed number per account. The time and the calls per account are printed for the README's note.
 */
import { DEFAULT_TEMPLATES } from '../../functions/lib/templates';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import { type LocalEnvironment, type ReconcileRun, startLocalEnvironment } from '../../local/environment';
import type { TreeEdit } from '../../local/github/git-types';

let env: LocalEnvironment;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({ handlers: 'source' });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

/** Accounts as onboarded ones look: the cicd role as configured, the folder (with its tfvars) on main. */
async function addOnboardedAccounts(count: number, from: number): Promise<string[]> {
  const { state } = aws();
  const { config } = env;
  const ids: string[] = [];
  const { store } = gh();
  // Straight into the git store, one commit: the four template files share one blob.
  const empty = await store.writeBlob(new Uint8Array());
  const edits: TreeEdit[] = [];
  for (let i = from; i < from + count; i++) {
    const name = `scale-${String(i).padStart(4, '0')}`;
    const { id } = state.createAccount({ name });
    ids.push(id);
    const folder = `${config.github.accountsDir}/${name}`;
    const tfvars = await store.writeBlob(Buffer.from(`aws_account_id = "${id}"\n`));
    for (const file of Object.keys(DEFAULT_TEMPLATES)) {
      const sha = file === 'terraform.tfvars' ? tfvars : empty;
      edits.push({ path: `${folder}/${file}`, mode: '100644', type: 'blob', sha });
    }
  }
  for (const id of ids) onboardRole(id);
  const who = { name: 'platform-team', email: 'platform@example.com', date: new Date().toISOString() };
  await store.commitEdits('main', edits, `${count} onboarded accounts`, who);
  return ids;
}

function onboardRole(accountId: string): void {
  const { state } = aws();
  const { config } = env;
  if (state.findRole(accountId, config.cicdRoleName)) return;
  state.createRole(accountId, {
    roleName: config.cicdRoleName,
    assumeRolePolicyDocument: buildTrustPolicy(config, 'aws', state.organizationId),
    tags: [{ Key: config.managedTag.key, Value: config.managedTag.value }],
  });
  for (const arn of config.cicdPolicyArns) state.attachRolePolicy(accountId, config.cicdRoleName, arn);
}

interface Measured {
  run: ReconcileRun;
  seconds: number;
  githubRequests: string[];
  awsCalls: Record<string, number>;
}

async function measure(): Promise<Measured> {
  const awsBefore = aws().calls.length;
  const githubBefore = gh().requests.length;
  const started = performance.now();
  const run = await env.runReconcile('report');
  const seconds = (performance.now() - started) / 1000;
  const awsCalls: Record<string, number> = {};
  for (const c of aws().calls.slice(awsBefore))
    awsCalls[`${c.service}:${c.action}`] = (awsCalls[`${c.service}:${c.action}`] ?? 0) + 1;
  return {
    run,
    seconds,
    githubRequests: gh()
      .requests.slice(githubBefore)
      .map((r) => r.route)
      .sort(), // the pull requests are listed alongside the ref and tarball reads: their order may vary
    awsCalls,
  };
}

describe('reconciliation at scale', () => {
  it('reads GitHub with the same requests for 10 and for 1,000 accounts, and reconciles 1,000 end to end', async () => {
    // Prepare: the two seeded workloads plus 8 onboarded accounts are the 10 checked accounts (the tooling account is
    // skipped: it is onboarded only with filters.onboardToolingAccount)
    const { workloads } = aws().accounts;
    for (const id of workloads) onboardRole(id);
    const devFolder = `${env.config.github.accountsDir}/workload-dev-01`;
    await gh().seed({
      ...Object.fromEntries(Object.keys(DEFAULT_TEMPLATES).map((file) => [`${devFolder}/${file}`, ''])),
      [`${devFolder}/terraform.tfvars`]: `aws_account_id = "${workloads[1]}"\n`,
    });
    await addOnboardedAccounts(8, 1);
    const small = await measure();
    await addOnboardedAccounts(990, 9);

    // Act
    const large = await measure();

    // Assess
    const total = Object.values(large.awsCalls).reduce((n, c) => n + c, 0);
    console.log(
      [
        `reconcile report run, 1,000 accounts: ${large.seconds.toFixed(1)} s (10 accounts: ${small.seconds.toFixed(1)} s)`,
        `GitHub requests per run: ${large.githubRequests.length} (10 accounts: ${small.githubRequests.length})`,
        `AWS calls: ${total} = ${(total / 1000).toFixed(2)} per account`,
        ...Object.entries(large.awsCalls)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([call, n]) => `  ${call}: ${n}`),
      ].join('\n'),
    );
    expect(small.run.result?.accountsChecked).toBe(10);
    expect(large.run.result?.accountsChecked).toBe(1000);
    expect(large.run.outcome.status).toBe('SUCCEEDED');
    expect(large.run.states.filter((s) => s === 'CheckBatch')).toHaveLength(10);
    expect(large.githubRequests).toEqual(small.githubRequests);
    expect(large.githubRequests).toEqual([
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/tarball/{ref}',
    ]);
    // Every role and folder was read and found as onboarded; only the matrix cannot list 1,000 folders (256 jobs).
    const { counts } = large.run.result as NonNullable<ReconcileRun['result']>;
    const found = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
    expect(Object.keys(found)).toEqual(['matrix-entry-missing']);
    // Per account: one AssumeRole, one GetRole, one ListAttachedRolePolicies.
    for (const call of ['sts:AssumeRole', 'iam:GetRole', 'iam:ListAttachedRolePolicies']) {
      expect(large.awsCalls[call]).toBe(1000);
    }
    expect(large.run.executions).toEqual([]);
  }, 300_000);
});
