import fc from 'fast-check';
import { parseConfig } from '../../functions/lib/config';
import { UnsafeChange } from '../../functions/lib/errors';
import {
  type AccountFacts,
  type OnboardingPull,
  planRepo,
  REQUIRED_FILES,
  type RepoObservation,
  type RepoPlan,
} from '../../functions/lib/repo-plan';
import { assertSafeChange } from '../../functions/lib/safe-change';
import { accountSlug, collisionSlug } from '../../functions/lib/slug';
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

const A: AccountFacts = { accountId: '200000000001', name: 'Legacy App', email: 'a@example.com' };
const B: AccountFacts = { accountId: '200000000002', name: 'legacy-app', email: 'b@example.com' };
const FOLDER = 'aws-accounts/legacy-app';
const ALT_A = `aws-accounts/legacy-app-${A.accountId}`;

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

const ours = (
  accountId: string,
  number: number,
  folder: string,
  extra: Partial<OnboardingPull> = {},
): OnboardingPull => ({
  number,
  accountId,
  state: 'open',
  merged: false,
  url: `u${number}`,
  headSha: 'f'.repeat(40),
  marker: { accountId, folder, hash: '0'.repeat(64), commit: 'f'.repeat(40) },
  ...extra,
});

describe('planRepo: which folder', () => {
  it('gives a new account its slug folder, with every file and the matrix entry', () => {
    const plan = planRepo(A, observation(), config);
    expect(plan).toMatchObject({ folder: FOLDER, action: { type: 'open' } });
    expect(plan.commit?.files.map((f) => f.path)).toEqual(REQUIRED_FILES.map((f) => `${FOLDER}/${f}`));
    expect(plan.changes.map((c) => [c.class, c.remediable])).toEqual([
      ['folder-missing', true],
      ['matrix-entry-missing', true],
    ]);
  });

  it("never re-points a departed account's folder: the new account gets <slug>-<id>", () => {
    const obs = observation({ folders: { [FOLDER]: { files: [...REQUIRED_FILES], tfvarsAccountId: '999999999999' } } });
    const plan = planRepo(A, obs, config);
    expect(plan.folder).toBe(ALT_A);
    expect(plan.takenFolder).toEqual({ folder: FOLDER, reason: 'its terraform.tfvars names account 999999999999' });
  });

  it('treats a hand-made folder with Terraform files but no tfvars as taken', () => {
    const obs = observation({ folders: { [FOLDER]: { files: ['backend.tf', 'main.tf'] } } });
    expect(planRepo(A, obs, config).folder).toBe(ALT_A);
  });

  it('finds a renamed account by the id in its tfvars and only adds what its folder lacks', () => {
    const obs = observation({
      folders: { 'aws-accounts/old-name': { files: ['main.tf', 'terraform.tfvars'], tfvarsAccountId: A.accountId } },
    });
    const plan = planRepo(A, obs, config);
    expect(plan.folder).toBe('aws-accounts/old-name');
    expect(plan.commit?.files.map((f) => f.path)).toEqual(
      REQUIRED_FILES.filter((f) => !['main.tf', 'terraform.tfvars'].includes(f)).map(
        (f) => `aws-accounts/old-name/${f}`,
      ),
    );
  });

  it("does not take a folder another account's earlier open pull request adds; the earlier one keeps it", () => {
    const obs = observation({ pulls: [ours(B.accountId, 5, FOLDER), ours(A.accountId, 6, FOLDER)] });
    expect(planRepo(A, obs, config).folder).toBe(ALT_A);
    expect(planRepo(B, obs, config).folder).toBe(FOLDER);
  });

  it('blocks, for a person, a tfvars that names no account id in the slug folder', () => {
    const obs = observation({ folders: { [FOLDER]: { files: ['terraform.tfvars'] } } });
    const plan = planRepo(A, obs, config);
    expect(plan.action).toEqual({ type: 'blocked' });
    expect(plan.changes.map((c) => [c.class, c.remediable])).toEqual([['tfvars-account-id', false]]);
  });

  it("reports a typo that gives another member's id, without handing the folder to either account", () => {
    const obs = observation({
      folders: {
        [FOLDER]: { files: [...REQUIRED_FILES], tfvarsAccountId: '200000000003' },
        'aws-accounts/payments': { files: [...REQUIRED_FILES], tfvarsAccountId: '200000000003' },
      },
      workflowText: workflowListing([FOLDER, 'aws-accounts/payments']),
    });
    const plan = planRepo(A, obs, config);
    expect(plan.action).toEqual({ type: 'blocked' });
    expect(plan.changes[0]?.class).toBe('tfvars-account-id');
    const payments = planRepo({ accountId: '200000000003', name: 'Payments', email: 'p@example.com' }, obs, config);
    expect(payments.action).toEqual({ type: 'none' });
    expect(payments.changes.map((c) => [c.class, c.remediable])).toEqual([['tfvars-account-id', false]]);
  });
});

describe('planRepo: whose pull request', () => {
  const base = observation();
  const opened = planRepo(A, base, config);
  const current = (extra: Partial<OnboardingPull> = {}) =>
    ours(A.accountId, 3, FOLDER, {
      marker: {
        accountId: A.accountId,
        folder: FOLDER,
        hash: opened.commit?.contentHash as string,
        commit: 'f'.repeat(40),
      },
      ...extra,
    });

  it('keeps a current pull request: no drift, nothing to write', () => {
    const plan = planRepo(A, observation({ pulls: [current()] }), config);
    expect(plan.action.type).toBe('keep');
    expect(plan.changes).toEqual([]);
  });

  it('leaves a pull request whose head a person pushed: pr-edited, not remediable', () => {
    const plan = planRepo(A, observation({ pulls: [current({ headIsOurs: false })] }), config, { force: true });
    expect(plan.action).toMatchObject({ type: 'edited', ours: true });
    expect(plan.changes.map((c) => [c.class, c.remediable])).toEqual([['pr-edited', false]]);
  });

  it('never touches a pull request without its marker', () => {
    const plan = planRepo(A, observation({ pulls: [current({ marker: undefined })] }), config, { force: true });
    expect(plan.action).toMatchObject({ type: 'edited', ours: false });
  });
});

describe('assertSafeChange', () => {
  const plan = planRepo(A, observation(), config);
  const commit = plan.commit as NonNullable<RepoPlan['commit']>;
  const obs = observation();

  it('passes the planned change', () => {
    expect(() => assertSafeChange({ folder: plan.folder, ...commit }, obs, config)).not.toThrow();
  });

  it.each([
    ['a file outside the folder', { files: [...commit.files, { path: 'aws-accounts/other/main.tf', content: '' }] }],
    ['a path that climbs out', { files: [{ path: `${FOLDER}/../x/main.tf`, content: '' }] }],
    [
      'a workflow edit beyond the matrix',
      { workflowText: commit.workflowText.replace('runs-on: ubuntu-latest', 'runs-on: self-hosted') },
    ],
    ['a folder outside the accounts dir', { folder: '.github/workflows' }],
  ])('refuses %s', (_what, override) => {
    expect(() => assertSafeChange({ folder: plan.folder, ...commit, ...override }, obs, config)).toThrow(UnsafeChange);
  });

  it('refuses to overwrite a file on the base branch', () => {
    const held = observation({ folders: { [FOLDER]: { files: ['main.tf'], tfvarsAccountId: A.accountId } } });
    expect(() => assertSafeChange({ folder: plan.folder, ...commit }, held, config)).toThrow(/would be overwritten/);
  });
});

// ---- properties ------------------------------------------------------------------------------------------------

const NAMES = ['Collide Me', 'collide-me', 'Legacy App', 'Payments', 'Data'];
const MEMBER_IDS = ['200000000001', '200000000002', '200000000003', '200000000004'];
const DEPARTED = '300000000001';
const UNKNOWN = '400000000001';

type FolderKind = 'member' | 'departed' | 'unknown' | 'no-id' | 'no-tfvars' | 'absent';
type PullKind = 'none' | 'open-ours' | 'open-edited' | 'open-foreign' | 'closed' | 'merged';

const stateArb = fc.record({
  accounts: fc.uniqueArray(fc.record({ id: fc.constantFrom(...MEMBER_IDS), name: fc.constantFrom(...NAMES) }), {
    minLength: 1,
    maxLength: 4,
    selector: (a) => a.id,
  }),
  folders: fc.array(
    fc.record({
      name: fc.constantFrom(...NAMES),
      collisionOf: fc.option(fc.constantFrom(...MEMBER_IDS), { nil: undefined }),
      kind: fc.constantFrom<FolderKind>('member', 'departed', 'unknown', 'no-id', 'no-tfvars', 'absent'),
      holder: fc.constantFrom(...MEMBER_IDS),
      partial: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
  pulls: fc.array(
    fc.record({
      account: fc.constantFrom(...MEMBER_IDS),
      kind: fc.constantFrom<PullKind>('none', 'open-ours', 'open-edited', 'open-foreign', 'closed', 'merged'),
      name: fc.constantFrom(...NAMES),
    }),
    { maxLength: 4 },
  ),
  listed: fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
  order: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
});
type State = typeof stateArb extends fc.Arbitrary<infer T> ? T : never;

const folderOf = (name: string, collisionOf?: string) => {
  const slug = accountSlug(name, collisionOf ?? '000000000000');
  return `aws-accounts/${collisionOf ? collisionSlug(slug, collisionOf) : slug}`;
};

function build(state: State): { obs: RepoObservation; members: AccountFacts[] } {
  const members = state.accounts.map((a) => ({ accountId: a.id, name: a.name, email: `${a.id}@example.com` }));
  const folders: RepoObservation['folders'] = {};
  for (const f of state.folders) {
    if (f.kind === 'absent') continue;
    const path = folderOf(f.name, f.collisionOf);
    const files =
      f.kind === 'no-tfvars' ? ['main.tf', 'backend.tf'] : f.partial ? ['terraform.tfvars'] : [...REQUIRED_FILES];
    const id = { member: f.holder, departed: DEPARTED, unknown: UNKNOWN, 'no-id': undefined, 'no-tfvars': undefined }[
      f.kind
    ];
    folders[path] = { files, ...(id ? { tfvarsAccountId: id } : {}) };
  }
  const pulls: OnboardingPull[] = [];
  let number = 1;
  for (const generated of state.pulls) {
    if (generated.kind === 'none') continue;
    // A pull request adds its account's folder (the name it had then, for accounts no longer members).
    const p = { ...generated, name: state.accounts.find((a) => a.id === generated.account)?.name ?? generated.name };
    const open = p.kind.startsWith('open');
    // A reachable state: one open pull request per account, and (the invariant below) per folder.
    const claimed = (q: OnboardingPull) =>
      q.state === 'open' && (q.accountId === p.account || q.marker?.folder === folderOf(p.name));
    if (open && pulls.some(claimed)) continue;
    pulls.push({
      number: number++,
      accountId: p.account,
      state: open ? 'open' : 'closed',
      merged: p.kind === 'merged',
      url: `u${number}`,
      headSha: 'f'.repeat(40),
      ...(p.kind === 'open-foreign'
        ? {}
        : { marker: { accountId: p.account, folder: folderOf(p.name), hash: '0'.repeat(64), commit: 'f'.repeat(40) } }),
      ...(p.kind === 'open-edited' ? { headIsOurs: false } : {}),
    });
  }
  return {
    obs: observation({
      folders,
      pulls: pulls.sort((a, b) => b.number - a.number),
      workflowText: workflowListing(['aws-accounts/tooling', ...new Set(state.listed.map((n) => folderOf(n)))]),
    }),
    members,
  };
}

/**
 * Every member onboarded at once on one observation (concurrently), then each that opened a pull request re-checks
 * as the writer does after opening (it may move to its collision folder). Returns the plans that write.
 */
function simulate(state: State) {
  const { obs, members } = build(state);
  const order = [...members].sort(
    (a, b) => (state.order[MEMBER_IDS.indexOf(a.accountId)] ?? 0) - (state.order[MEMBER_IDS.indexOf(b.accountId)] ?? 0),
  );
  const written: Array<{ account: AccountFacts; plan: RepoPlan }> = [];
  const first = order.map((account) => ({ account, plan: planRepo(account, obs, config) }));
  let next = Math.max(0, ...obs.pulls.map((p) => p.number)) + 1;
  const pulls = [...obs.pulls];
  for (const { account, plan } of first) {
    if (plan.action.type !== 'open' && plan.action.type !== 'update') continue;
    written.push({ account, plan });
    const marker = {
      accountId: account.accountId,
      folder: plan.folder,
      hash: plan.commit?.contentHash ?? '',
      commit: 'e'.repeat(40),
    };
    if (plan.action.type === 'update') {
      const number = plan.action.pull.number;
      pulls.splice(
        pulls.findIndex((p) => p.number === number),
        1,
        { ...plan.action.pull, marker },
      );
    } else {
      pulls.unshift({
        number: next,
        accountId: account.accountId,
        state: 'open',
        merged: false,
        url: `u${next}`,
        headSha: 'e'.repeat(40),
        marker,
      });
      next++;
    }
  }
  const after = { ...obs, pulls: pulls.sort((a, b) => b.number - a.number) };
  const rechecked = written.map(({ account, plan }) => {
    if (plan.action.type !== 'open') return { account, plan };
    const again = planRepo(account, after, config);
    const mine = after.pulls.find((p) => p.accountId === account.accountId && p.state === 'open');
    if (again.action.type === 'blocked' && mine?.marker) {
      // the writer closes its own pull request as superseded
      mine.state = 'closed';
      mine.marker = { ...mine.marker, superseded: true };
      return { account, plan: again };
    }
    if (again.folder !== plan.folder && again.action.type === 'update') {
      if (mine?.marker) mine.marker = { ...mine.marker, folder: again.folder };
      return { account, plan: again };
    }
    return { account, plan };
  });
  return { obs, first, written: rechecked, after };
}

describe('ownership invariants over generated repositories', () => {
  it('adds files only inside the account folder, never rewrites a tfvars, pushes only on its own heads, one open PR per folder', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const { obs, first, written, after } = simulate(state);
        for (const { account, plan } of first) {
          const action = plan.action;
          if (action.type === 'update') {
            // never push on a branch whose head is not ours, never on a PR the tool did not open
            expect(action.pull.marker?.accountId).toBe(account.accountId);
            expect(action.pull.headIsOurs).not.toBe(false);
          }
          const own = obs.pulls.find((p) => p.accountId === account.accountId && p.state === 'open');
          if (own && (!own.marker || own.headIsOurs === false))
            expect(['edited', 'none', 'blocked']).toContain(action.type);
        }
        for (const { account, plan } of written.filter((w) => w.plan.commit)) {
          const commit = plan.commit as NonNullable<RepoPlan['commit']>;
          // the last guard agrees: only new files inside the folder, only the matrix entry
          assertSafeChange({ folder: plan.folder, ...commit }, obs, config);
          // the folder is absent or names this account: never another account's, never a tfvars rewritten
          const held = obs.folders[plan.folder];
          if (held) expect(held.tfvarsAccountId).toBe(account.accountId);
          for (const f of commit.files) expect(held?.files ?? []).not.toContain(f.path.split('/').pop());
        }
        // never two open onboarding PRs for one folder among those written
        const openFolders = after.pulls
          .filter(
            (p) => p.state === 'open' && p.marker?.folder && written.some((w) => w.account.accountId === p.accountId),
          )
          .map((p) => p.marker?.folder);
        expect(new Set(openFolders).size).toBe(openFolders.length);
        for (const w of written.filter((x) => x.plan.commit)) {
          // A pull request whose folder the base branch already gives to another account is stale by the base
          // (its own next run moves it; if a person took it over, it is theirs to close): it claims nothing.
          const staleByBase = (p: OnboardingPull) => {
            const held = obs.folders[p.marker?.folder ?? ''];
            return held !== undefined && held.tfvarsAccountId !== p.accountId;
          };
          const others = after.pulls.filter(
            (p) =>
              p.state === 'open' &&
              p.accountId !== w.account.accountId &&
              p.marker?.folder === w.plan.folder &&
              !staleByBase(p),
          );
          expect(others).toEqual([]);
        }
      }),
      {
        numRuns: 400,
        // Shrunk counterexamples found while building this, kept as regression cases: two same-slug accounts when
        // the collision folder of the later one is taken (it must close its pull request, not share the folder);
        // a freed folder drawing two re-checking pull requests toward it at once.
        examples: [
          [
            {
              accounts: [
                { id: '200000000004', name: 'Payments' },
                { id: '200000000001', name: 'Payments' },
              ],
              folders: [
                {
                  name: 'Payments',
                  collisionOf: '200000000004',
                  kind: 'member',
                  holder: '200000000002',
                  partial: false,
                },
              ],
              pulls: [],
              listed: [],
              order: [0, 0, 0, 1],
            },
          ],
          [
            {
              accounts: [{ id: '200000000002', name: 'Collide Me' }],
              folders: [
                { name: 'Legacy App', collisionOf: undefined, kind: 'member', holder: '200000000002', partial: false },
              ],
              pulls: [{ account: '200000000001', kind: 'open-edited', name: 'Legacy App' }],
              listed: [],
              order: [0, 0, 0, 0],
            },
          ],
          [
            {
              accounts: [
                { id: '200000000001', name: 'Collide Me' },
                { id: '200000000004', name: 'Data' },
                { id: '200000000002', name: 'Collide Me' },
              ],
              folders: [],
              pulls: [{ account: '200000000004', kind: 'open-ours', name: 'Collide Me' }],
              listed: [],
              order: [0, 0, 0, 0],
            },
          ],
        ],
      },
    );
  });
});
