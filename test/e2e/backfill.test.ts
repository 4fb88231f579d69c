/**
 * Backfill (issue 12.3), end to end on the stand-ins: an organization with 200 existing accounts that no event ever
 * onboarded. `cli backfill` converges every account's cicd role through the onboarding state machine (trigger
 * backfill: role only) and opens exactly 4 batch pull requests of 50 accounts; a second run starts nothing and
 * writes nothing; a single onboarding of an account in an open batch opens no second pull request; the batches,
 * merged one by one with a backfill run after each merge (which regenerates the stale ones), leave a matrix that
 * lists all 200 folders exactly once (actionlint clean), and the person's files untouched. Accounts under an OU with
 * a profile of its own get their folders rendered from that profile's templates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Io, main } from '../../bin/cli';
import { parseBatchMarker } from '../../functions/lib/batch-change';
import { readMatrixEntries } from '../../functions/lib/workflow-matrix';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { lintWorkflow } from '../support/workflows';

const ACCOUNTS = 200;
const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const PERSON = { name: 'platform-team', email: 'platform@example.com' };
/** Accounts created under the Sandbox OU, whose profile renders folders from templates/sandbox. */
const SANDBOXED = [150, 151];

let env: LocalEnvironment;
let dir: string;
let configFile: string;
/** Every account the backfill onboards: the stand-in's member that no folder names yet, and the ones made here. */
const ids: string[] = [];
const sandboxed: string[] = [];

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    config: { profiles: [{ name: 'sandbox', match: { ouPath: 'Sandbox' }, templates: 'sandbox' }] },
  });
  dir = mkdtempSync(join(tmpdir(), 'backfill-test-'));
  configFile = join(dir, 'onboarding.json');
  writeFileSync(configFile, JSON.stringify(env.config));
  // The organization's members that are not onboarded yet (the stand-in starts with one), as a dry run sees them.
  const dry = await cli(['backfill', '--dry-run', '--json', '--github-token-secret']);
  const planned = JSON.parse(dry.stdout) as { batches: Array<{ accounts: string[] }> };
  ids.push(...planned.batches.flatMap((b) => b.accounts));
  expect(dry.writes).toEqual([]);
  // Up to 200 with accounts that joined before the tool watched the organization: no events, no roles, no folders.
  const sandboxOu = aws().state.createOrganizationalUnit('Sandbox').id;
  for (let i = ids.length; i < ACCOUNTS; i++) {
    const parentId = SANDBOXED.includes(i) ? sandboxOu : undefined;
    const { id } = aws().state.createAccount({ name: `Legacy ${String(i).padStart(3, '0')}`, parentId });
    ids.push(id);
    if (parentId) sandboxed.push(id);
  }
  // The person's own work on main: a hand-made folder with the name of one of the accounts (no tfvars naming it).
  await gh().store.commitFiles(
    'main',
    { 'aws-accounts/legacy-007/main.tf': '# hand-made\nresource "null_resource" "x" {}\n', 'NOTES.md': 'ours\n' },
    'A person adds a folder',
    { ...PERSON, date: new Date().toISOString() },
  );
}, 120_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Partial<Io> = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...process.env },
    pollIntervalMs: 5,
  };
  const from = gh().requests.length;
  const executionsBefore = aws().calls.filter((c) => c.action === 'StartExecution').length;
  const code = await main(
    [
      '--config',
      configFile,
      '--aws-endpoint',
      env.aws.endpoint,
      '--state-machine-arn',
      env.onboardingStateMachineArn,
      ...args,
    ],
    io,
  );
  const requests = gh().requests.slice(from);
  return {
    code,
    stdout,
    stderr,
    requests: requests.map((r) => r.route),
    writes: requests.filter((r) => r.contentCreating).map((r) => r.route),
    executions: aws().calls.filter((c) => c.action === 'StartExecution').length - executionsBefore,
  };
}

async function openBatches() {
  const list = () =>
    env.github.octokit.paginate(env.github.octokit.rest.pulls.list, { ...repo(), state: 'open', per_page: 100 });
  // The test's own client may reuse a keep-alive socket the stand-in closed while the CLI ran (ECONNRESET): once more.
  const pulls = await list().catch((error: Error) => {
    if (!/fetch failed|Unknown Error/.test(error.message)) throw error;
    return list();
  });
  return pulls
    .filter((p) => p.head.ref.startsWith(`${env.config.github.branchPrefix}batch-`))
    .map((p) => ({ number: p.number, branch: p.head.ref, marker: parseBatchMarker(p.body) }));
}

async function fileOnMain(path: string): Promise<string | undefined> {
  return gh().store.readText('refs/heads/main', path);
}

describe('cli backfill', () => {
  let first: Awaited<ReturnType<typeof cli>>;
  let mainBefore: string;

  it('opens exactly 4 pull requests of 50 accounts, after every account got its cicd role', async () => {
    // Prepare
    mainBefore = (await gh().store.resolveRef('refs/heads/main')) as string;

    // Act
    first = await cli(['backfill', '--github-token-secret']);

    // Assess
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.executions).toBe(ACCOUNTS);
    const batches = await openBatches();
    expect(batches).toHaveLength(4);
    for (const b of batches) expect(b.marker?.accounts).toHaveLength(50);
    const listed = batches.flatMap((b) => b.marker?.accounts.map((a) => a.accountId) ?? []);
    expect(new Set(listed).size).toBe(ACCOUNTS);
    expect([...listed].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(aws().state.findRole(id, env.config.cicdRoleName)).toBeDefined();
    // The hand-made folder is taken: its account gets the collision folder.
    const legacy007 = [...aws().state.accounts.values()].find((a) => a.name === 'Legacy 007')?.id as string;
    const folder = batches.flatMap((b) => b.marker?.accounts ?? []).find((a) => a.accountId === legacy007)?.folder;
    expect(folder).toBe(`aws-accounts/legacy-007-${legacy007}`);
    // The Sandbox OU's accounts get the sandbox profile's provider.tf in their folders; the others the default one.
    const entries = batches.flatMap((b) => (b.marker?.accounts ?? []).map((a) => ({ ...a, branch: b.branch })));
    const provider = (a: (typeof entries)[number] | undefined) =>
      gh().store.readText(`refs/heads/${a?.branch}`, `${a?.folder}/provider.tf`);
    expect(sandboxed).toHaveLength(SANDBOXED.length);
    for (const id of sandboxed) {
      expect(await provider(entries.find((a) => a.accountId === id))).toContain('environment = "sandbox"');
    }
    expect(await provider(entries.find((a) => !sandboxed.includes(a.accountId)))).not.toContain('sandbox');
    // A handful of writes: per batch one tree, one commit, one ref, one pull request.
    expect(first.writes).toHaveLength(16);
    expect(first.writes.filter((w) => w === 'POST /repos/{owner}/{repo}/pulls')).toHaveLength(4);
    expect(await gh().store.resolveRef('refs/heads/main')).toBe(mainBefore);
    console.log(`backfill of ${ACCOUNTS}: ${first.requests.length} GitHub requests, ${first.writes.length} writes`);
  }, 600_000);

  it('writes nothing and starts nothing the second time', async () => {
    // Act
    const again = await cli(['backfill', '--github-token-secret']);

    // Assess
    expect(again.code).toBe(0);
    expect(again.writes).toEqual([]);
    expect(again.executions).toBe(0);
    expect(again.stdout).toContain('Nothing to add');
    expect(again.requests.length).toBeLessThanOrEqual(4);
  }, 120_000);

  it('names a bad batch size as bad usage, before reading anything', async () => {
    // Act
    const bad = await cli(['backfill', '--batch-size', '0', '--github-token-secret']);

    // Assess
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--batch-size expects a whole number from 1 to 256, got "0"');
    expect(bad.requests).toEqual([]);
  });

  it('gives an account in an open batch no second pull request when it is onboarded on its own', async () => {
    // Prepare
    const id = ids[42] as string;
    const batch = (await openBatches()).find((b) => b.marker?.accounts.some((a) => a.accountId === id));
    const before = gh().requests.filter((r) => r.contentCreating).length;

    // Act
    const report = await env.startExecution({ accountId: id });

    // Assess
    if (report.outcome.status !== 'SUCCEEDED') throw new Error(`execution ${report.outcome.status}`);
    const output = report.outcome.output as unknown as { pullRequest: { outcome: string; number: number } };
    expect(output.pullRequest).toMatchObject({ outcome: 'unchanged', number: batch?.number });
    expect(gh().requests.filter((r) => r.contentCreating).length).toBe(before);
    expect(await openBatches()).toHaveLength(4);
  }, 120_000);

  it('merges batch after batch (a backfill after each regenerates the others) into a matrix listing all 200 once', async () => {
    const seedEntries = readMatrixEntries((await fileOnMain(WORKFLOW)) as string, 'dir');
    for (let round = 0; round < 4; round++) {
      // Prepare
      const [next] = (await openBatches()).sort((a, b) => a.number - b.number);

      // Act
      await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: next?.number as number });
      const rerun = await cli(['backfill', '--github-token-secret']);

      // Assess
      expect(rerun.code).toBe(0);
      expect(rerun.executions).toBe(0);
      // Each remaining batch conflicts on the matrix line: regenerated with 4 writes (tree, commit, ref, PR).
      expect(rerun.writes).toHaveLength(4 * (3 - round));
    }
    const workflow = (await fileOnMain(WORKFLOW)) as string;
    const entries = readMatrixEntries(workflow, 'dir');
    expect(entries.length).toBe(seedEntries.length + ACCOUNTS);
    expect(new Set(entries).size).toBe(entries.length);
    expect(await lintWorkflow(workflow)).toEqual([]);
    // The person's bytes survive.
    expect(await fileOnMain('aws-accounts/legacy-007/main.tf')).toBe('# hand-made\nresource "null_resource" "x" {}\n');
    expect(await fileOnMain('NOTES.md')).toBe('ours\n');
    expect(await openBatches()).toEqual([]);
  }, 600_000);
});
