import fc from 'fast-check';
import { countMatrix, planBackfill } from '../../functions/lib/backfill-plan';
import { batchKey, batchMarker, parseBatchMarker } from '../../functions/lib/batch-change';
import { parseConfig } from '../../functions/lib/config';
import { InvalidInput, MatrixLimitExceeded, UnsafeChange } from '../../functions/lib/errors';
import { parseExecutionInput } from '../../functions/lib/execution-input';
import { parseOnboardingMarker } from '../../functions/lib/onboarding-change';
import {
  type AccountFacts,
  type BatchPull,
  type OnboardingPull,
  planRepo,
  REQUIRED_FILES,
  type RepoObservation,
} from '../../functions/lib/repo-plan';
import { assertSafeBatchChange } from '../../functions/lib/safe-change';
import { readMatrixEntries } from '../../functions/lib/workflow-matrix';
import { WORKFLOW_PATH, workflowListing } from '../support/reconcile-fixtures';

const config = parseConfig({
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
});

const id = (n: number): string => `2000000${String(n).padStart(5, '0')}`;
const account = (n: number, name = `Team ${n}`): AccountFacts => ({
  accountId: id(n),
  name,
  email: `a${n}@example.com`,
});
const accounts = (count: number): AccountFacts[] => Array.from({ length: count }, (_, i) => account(i));

function observation(partial: Partial<RepoObservation> = {}): RepoObservation {
  return {
    commitSha: 'a'.repeat(40),
    workflowPath: WORKFLOW_PATH,
    workflowText: workflowListing(['aws-accounts/tooling']),
    folders: { 'aws-accounts/tooling': { files: [...REQUIRED_FILES], tfvarsAccountId: '111111111111' } },
    pulls: [],
    ...partial,
  };
}

function openBatch(
  number: number,
  entries: Array<{ accountId: string; folder: string }>,
  extra: Partial<BatchPull> = {},
) {
  const key = batchKey(entries.map((e) => e.accountId));
  const pull: BatchPull = {
    number,
    key,
    state: 'open',
    merged: false,
    url: `u${number}`,
    headSha: 'e'.repeat(40),
    marker: { key, hash: '0'.repeat(64), commit: 'e'.repeat(40), accounts: entries },
    headIsOurs: true,
    ...extra,
  };
  return pull;
}

describe('batch marker (v3)', () => {
  const entries = [
    { accountId: id(2), folder: 'aws-accounts/team-2' },
    { accountId: id(1), folder: 'aws-accounts/team-1' },
  ];
  const marker = { key: batchKey([id(1), id(2)]), hash: '1'.repeat(64), commit: '2'.repeat(40), accounts: entries };

  it('reads back what it writes, accounts in id order, and is not a v1/v2 marker', () => {
    const text = `body\n${batchMarker(marker)}\n`;
    expect(parseBatchMarker(text)).toEqual({ ...marker, accounts: [...entries].reverse() });
    expect(parseOnboardingMarker(text)).toBeUndefined();
  });

  it('is not the tool’s once a person edits the account list (the key no longer matches)', () => {
    const edited = batchMarker(marker).replace(id(2), id(3));
    expect(parseBatchMarker(edited)).toBeUndefined();
  });

  it('derives the same key from the same accounts in any order', () => {
    expect(batchKey([id(2), id(1)])).toBe(batchKey([id(1), id(2)]));
    expect(batchKey([id(1)])).not.toBe(batchKey([id(1), id(2)]));
  });
});

describe('planBackfill', () => {
  it('puts 120 new accounts in batches of 50, 50 and 20, each adding its folders and matrix entries only', () => {
    const obs = observation();
    const plan = planBackfill(accounts(120), obs, config, { batchSize: 50 });
    expect(plan.batches.map((b) => b.accounts.length)).toEqual([50, 50, 20]);
    expect(plan.accounts.every((a) => a.status === 'batched')).toBe(true);
    for (const b of plan.batches) {
      expect(b.branch).toBe(`onboarding/batch-${batchKey(b.accounts.map((a) => a.accountId))}`);
      expect(b.files).toHaveLength(50 > b.accounts.length ? 20 * REQUIRED_FILES.length : 50 * REQUIRED_FILES.length);
      expect(readMatrixEntries(b.workflowText, 'dir')).toEqual([
        'aws-accounts/tooling',
        ...b.accounts.map((a) => a.folder),
      ]);
      expect(() =>
        assertSafeBatchChange({ folders: b.accounts.map((a) => a.folder), ...b }, obs, config),
      ).not.toThrow();
    }
    // Deterministic: the same observation gives the same batches (a re-run after a crash meets the same branches).
    expect(planBackfill(accounts(120), obs, config, { batchSize: 50 }).batches.map((b) => b.branch)).toEqual(
      plan.batches.map((b) => b.branch),
    );
  });

  it('leaves onboarded and pending accounts out, and gives same-slug accounts distinct folders', () => {
    const single: OnboardingPull = {
      number: 7,
      accountId: id(1),
      state: 'open',
      merged: false,
      url: 'u7',
      headSha: 'f'.repeat(40),
      marker: { accountId: id(1), folder: 'aws-accounts/team-1', hash: '0'.repeat(64), commit: 'f'.repeat(40) },
    };
    const obs = observation({
      workflowText: workflowListing(['aws-accounts/tooling', 'aws-accounts/team-0']),
      folders: {
        'aws-accounts/tooling': { files: [...REQUIRED_FILES], tfvarsAccountId: '111111111111' },
        'aws-accounts/team-0': { files: [...REQUIRED_FILES], tfvarsAccountId: id(0) },
        // A person's hand-made folder, named like account 3.
        'aws-accounts/team-3': { files: ['main.tf'] },
      },
      pulls: [single],
      batches: [openBatch(9, [{ accountId: id(2), folder: 'aws-accounts/team-2' }])],
    });
    const input = [...accounts(6), account(10, 'team 4'), account(11, 'Team-4')];
    const plan = planBackfill(input, obs, config, { batchSize: 50 });
    const status = Object.fromEntries(plan.accounts.map((a) => [a.accountId, [a.status, a.folder, a.pull]]));
    expect(status).toMatchObject({
      [id(0)]: ['onboarded', 'aws-accounts/team-0', undefined],
      [id(1)]: ['pending', 'aws-accounts/team-1', 7],
      [id(2)]: ['pending', 'aws-accounts/team-2', 9],
      [id(3)]: ['batched', `aws-accounts/team-3-${id(3)}`, undefined],
      [id(4)]: ['batched', 'aws-accounts/team-4', undefined],
      [id(10)]: ['batched', `aws-accounts/team-4-${id(10)}`, undefined],
      [id(11)]: ['batched', `aws-accounts/team-4-${id(11)}`, undefined],
    });
    // One new batch; the open batch #9 (whose recorded hash is made up here) is regenerated on this base.
    expect(plan.batches.map((b) => b.action.type)).toEqual(['open', 'update']);
  });

  it('refuses, before anything is written, a backfill that takes the matrix past 256 jobs (open PRs counted)', () => {
    const base = Array.from({ length: 200 }, (_, i) => `aws-accounts/old-${i}`);
    const obs = observation({
      workflowText: workflowListing(base),
      batches: [openBatch(3, [{ accountId: id(900), folder: 'aws-accounts/pending' }])],
    });
    expect(countMatrix(obs, config, ['aws-accounts/new'])).toEqual([
      { job: expect.any(String), onBase: 200, inOpenPullRequests: 1, added: 1, after: 202, limit: 256 },
    ]);
    expect(() => planBackfill(accounts(55), obs, config, { batchSize: 50 })).not.toThrow();
    let error: unknown;
    try {
      planBackfill(accounts(56), obs, config, { batchSize: 50 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MatrixLimitExceeded);
    expect((error as Error).message).toMatch(/257 jobs \(200 on main, 1 in open onboarding pull requests, 56 from/);
    expect((error as Error).message).toMatch(/Split the accounts over several matrices/);
  });

  it('names a bad batch size', () => {
    expect(() => planBackfill(accounts(1), observation(), config, { batchSize: 0 })).toThrow(InvalidInput);
  });

  it('regenerates an open batch of the tool that no longer matches the base, and leaves a current one alone', () => {
    const obs = observation();
    const [batch] = planBackfill(accounts(3), obs, config, { batchSize: 50 }).batches;
    if (!batch) throw new Error('no batch');
    const entries = batch.accounts.map(({ accountId, folder }) => ({ accountId, folder }));
    const made = openBatch(5, entries);
    const current = {
      ...made,
      marker: { ...(made.marker as NonNullable<BatchPull['marker']>), hash: batch.contentHash },
    };
    expect(planBackfill(accounts(3), { ...obs, batches: [current] }, config, { batchSize: 50 }).batches).toEqual([]);

    // The base moved (another folder merged into the matrix line): same accounts, same branch, new content.
    const moved = { ...obs, workflowText: workflowListing(['aws-accounts/tooling', 'aws-accounts/x']) };
    const stale = planBackfill(accounts(3), { ...moved, batches: [current] }, config, { batchSize: 50 });
    expect(stale.batches).toHaveLength(1);
    expect(stale.batches[0]).toMatchObject({ branch: batch.branch, action: { type: 'update', pull: { number: 5 } } });
    expect(stale.accounts.every((a) => a.status === 'pending')).toBe(true);

    // A person pushed to it: never regenerated.
    const edited = { ...current, headIsOurs: false };
    expect(planBackfill(accounts(3), { ...moved, batches: [edited] }, config, { batchSize: 50 }).batches).toEqual([]);
  });
});

describe('planBackfill with per-OU profiles', () => {
  const profiled = parseConfig({
    ...config,
    profiles: [{ name: 'sandbox', match: { ouPath: 'Sandbox' }, templates: 'sandbox', labels: ['sandbox'] }],
  });
  const root = { id: 'r-ab12', name: 'Root' };
  const sandbox = { id: 'ou-ab12-sandbox1', name: 'Sandbox' };

  it("renders each account's folder from its own profile's templates, in one batch", () => {
    // Prepare: account 1 under the Sandbox OU, account 2 directly under the root
    const input = [
      { ...account(1), ouPath: [root, sandbox] },
      { ...account(2), ouPath: [root] },
    ];

    // Act
    const [batch] = planBackfill(input, observation(), profiled, { batchSize: 50 }).batches;

    // Assess
    const file = (path: string) => batch?.files.find((f) => f.path === path)?.content ?? '';
    expect(file('aws-accounts/team-1/provider.tf')).toContain('environment = "sandbox"');
    expect(file('aws-accounts/team-2/provider.tf')).not.toContain('sandbox');
    expect(file('aws-accounts/team-2/provider.tf')).toBe(
      planRepo(account(2), observation(), profiled).commit?.files.find((f) => f.path.endsWith('/provider.tf'))?.content,
    );
  });

  it("asks for the labels and reviewers of every profile of the batch's accounts, each once", () => {
    // Prepare: top-level labels and reviewers, a sandbox profile with its own; one account of each, one more sandbox
    const decorated = parseConfig({
      ...config,
      github: { ...config.github, labels: ['aws-account'], reviewers: ['platform-lead'] },
      profiles: [
        { name: 'sandbox', match: { ouPath: 'Sandbox' }, labels: ['sandbox'], teamReviewers: ['sandbox-owners'] },
      ],
    });
    const input = [
      { ...account(1), ouPath: [root, sandbox] },
      { ...account(2), ouPath: [root] },
      { ...account(3), ouPath: [root, sandbox] },
    ];

    // Act
    const [batch] = planBackfill(input, observation(), decorated, { batchSize: 50 }).batches;

    // Assess: the sandbox accounts bring their profile's (which keeps the top-level reviewers it does not set)
    expect(batch?.decoration).toEqual({
      labels: ['sandbox', 'aws-account'],
      reviewers: ['platform-lead'],
      teamReviewers: ['sandbox-owners'],
    });
  });

  it("regenerates a stale batch from each account's own profile, as it was opened", () => {
    // Prepare: the batch as opened, then the base moves
    const input = [{ ...account(1), ouPath: [root, sandbox] }];
    const obs = observation();
    const [opened] = planBackfill(input, obs, profiled, { batchSize: 50 }).batches;
    if (!opened) throw new Error('no batch');
    const pull = openBatch(
      7,
      opened.accounts.map(({ accountId, folder }) => ({ accountId, folder })),
    );
    const moved = {
      ...obs,
      workflowText: workflowListing(['aws-accounts/tooling', 'aws-accounts/x']),
      batches: [pull],
    };

    // Act
    const [stale] = planBackfill(input, moved, profiled, { batchSize: 50 }).batches;

    // Assess
    expect(stale?.action).toMatchObject({ type: 'update', pull: { number: 7 } });
    expect(stale?.files).toEqual(opened.files);
  });
});

describe('planRepo with batch pull requests', () => {
  const A = account(1, 'Legacy App');
  const B = account(2, 'legacy-app');

  it('opens no second pull request for an account an open batch adds', () => {
    const obs = observation({
      batches: [openBatch(4, [{ accountId: A.accountId, folder: 'aws-accounts/legacy-app' }])],
    });
    const plan = planRepo(A, obs, config);
    expect(plan).toMatchObject({ folder: 'aws-accounts/legacy-app', changes: [], action: { type: 'keep' } });
    if (plan.action.type !== 'keep') throw new Error('not keep');
    expect(plan.action.pull).toMatchObject({ number: 4, batch: expect.any(String) });
  });

  it("treats a batch's folders as claimed, and a batch a person pushed to as edited (still no second PR)", () => {
    const batch = openBatch(4, [{ accountId: A.accountId, folder: 'aws-accounts/legacy-app' }]);
    expect(planRepo(B, observation({ batches: [batch] }), config).folder).toBe(
      `aws-accounts/legacy-app-${B.accountId}`,
    );
    const plan = planRepo(A, observation({ batches: [{ ...batch, headIsOurs: false }] }), config);
    expect(plan.action.type).toBe('edited');
    expect(plan.changes.map((c) => [c.class, c.remediable])).toEqual([['pr-edited', false]]);
  });

  it('reads a batch closed without merging as declined, unless forced', () => {
    const batch = openBatch(4, [{ accountId: A.accountId, folder: 'aws-accounts/legacy-app' }], { state: 'closed' });
    expect(planRepo(A, observation({ batches: [batch] }), config).action.type).toBe('declined');
    expect(planRepo(A, observation({ batches: [batch] }), config, { force: true }).action.type).toBe('open');
  });

  it('refuses a batch change that writes outside its folders or edits more than the matrix', () => {
    const obs = observation();
    const [batch] = planBackfill(accounts(2), obs, config, { batchSize: 50 }).batches;
    if (!batch) throw new Error('no batch');
    const folders = batch.accounts.map((a) => a.folder);
    const outside = { ...batch, files: [...batch.files, { path: 'README.md', content: 'x' }] };
    expect(() => assertSafeBatchChange({ folders, ...outside }, obs, config)).toThrow(UnsafeChange);
    const extra = { ...batch, workflowText: batch.workflowText.replace('on:', 'on:\n  workflow_dispatch: {}\n  x:') };
    expect(() => assertSafeBatchChange({ folders, ...extra }, obs, config)).toThrow(UnsafeChange);
    expect(() =>
      assertSafeBatchChange({ folders: [folders[0] as string, folders[0] as string], ...batch }, obs, config),
    ).toThrow(UnsafeChange);
  });
});

describe('planBackfill invariants (property)', () => {
  const names = ['Alpha', 'alpha', 'Beta', 'beta-1', 'Gamma', 'Tooling'];
  it('never puts an account in two pull requests, never two accounts on one folder, only safe changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 40 }), name: fc.constantFrom(...names) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 40 }), slug: fc.constantFrom('alpha', 'beta', 'beta-1') }), {
          maxLength: 4,
        }),
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 40 }), slug: fc.constantFrom('alpha', 'gamma', 'beta-1') }), {
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 7 }),
        (raw, onBase, inBatch, batchSize) => {
          const byId = new Map(raw.map(({ n, name }) => [id(n), account(n, name)]));
          const folders: RepoObservation['folders'] = {
            'aws-accounts/tooling': { files: [...REQUIRED_FILES], tfvarsAccountId: '111111111111' },
          };
          for (const { n, slug } of onBase)
            folders[`aws-accounts/${slug}`] = { files: [...REQUIRED_FILES], tfvarsAccountId: id(n) };
          const entries = [...new Map(inBatch.map(({ n, slug }) => [id(n), `aws-accounts/${slug}-open`])).entries()];
          const uniqueFolders = [...new Map(entries.map(([a, f]) => [f, a])).entries()].map(([folder, accountId]) => ({
            accountId,
            folder,
          }));
          const obs = observation({
            folders,
            batches: uniqueFolders.length ? [openBatch(3, uniqueFolders)] : [],
          });
          const plan = planBackfill([...byId.values()], obs, config, { batchSize });
          const fresh = plan.batches.filter((b) => b.action.type === 'open');
          const seen = new Set<string>();
          const taken = new Set([...Object.keys(folders), ...uniqueFolders.map((e) => e.folder)]);
          for (const b of fresh) {
            expect(b.accounts.length).toBeLessThanOrEqual(batchSize);
            for (const a of b.accounts) {
              expect(seen.has(a.accountId)).toBe(false);
              seen.add(a.accountId);
              // A folder is reused only when its tfvars names the account (its matrix entry was missing).
              if (folders[a.folder]?.tfvarsAccountId !== a.accountId) expect(taken.has(a.folder)).toBe(false);
              taken.add(a.folder);
              expect(uniqueFolders.some((e) => e.accountId === a.accountId)).toBe(false);
            }
            assertSafeBatchChange({ folders: b.accounts.map((a) => a.folder), ...b }, obs, config);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('backfill execution input', () => {
  it('accepts {"accountId", "trigger": "backfill"} (role only) and nothing more', () => {
    expect(parseExecutionInput({ accountId: id(1), trigger: 'backfill' })).toEqual({
      kind: 'backfill',
      accountId: id(1),
    });
    expect(() => parseExecutionInput({ accountId: id(1), trigger: 'backfill', force: true })).toThrow(InvalidInput);
    expect(() => parseExecutionInput({ accountId: id(1), trigger: 'batch' })).toThrow(/"reconcile" or "backfill"/);
  });
});
