/**
 * The refresh's dashboard and idle check against the GitHub stand-in (the refresh library, no AWS): the dashboard is
 * created once, not rewritten while nothing changes, found by its marker only; a closed one is left closed; an idle
 * run is one conditional request answered 304, on the issue activity with the dashboard on and on the base ref without.
 */
import type { OnboardingConfig } from '../../functions/lib/config';
import { DASHBOARD_TITLE } from '../../functions/lib/dashboard';
import { memoryRefreshState, refreshPullRequests } from '../../functions/lib/refresh';
import { testConfig } from '../support/ensure-cicd-role-fixtures';
import { startTestRepo, type TestRepo } from '../support/github-repo';
import { SEED_WORKFLOW } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
let repo: TestRepo;

beforeEach(async () => {
  repo = await startTestRepo({ [WORKFLOW]: SEED_WORKFLOW, 'README.md': 'terraform\n' });
});
afterEach(async () => {
  await repo.stop();
});

function refresher(dashboard: boolean) {
  const config: OnboardingConfig = testConfig({
    github: { owner: repo.owner, repo: repo.repo, auth: { type: 'token', secretArn: 'arn:secret' } },
    dashboard: { enabled: dashboard },
  });
  const state = memoryRefreshState();
  return async (render = false) => {
    repo.mark();
    const from = repo.standIn.requests.length;
    const result = await refreshPullRequests(
      {
        octokit: repo.octokit,
        config,
        state,
        readAccount: async () => {
          throw new Error('no pull request to regenerate');
        },
      },
      { render },
    );
    const requests = repo.standIn.requests.slice(from).map((r) => `${r.route} ${r.status}`);
    return { result, writes: repo.writes(), requests };
  };
}

describe('refresh with the dashboard', () => {
  it('creates the dashboard once, then writes nothing, then is idle on one 304 of the issue activity', async () => {
    // Prepare: a person's issue with the same title and no marker
    const { data: mine } = await repo.octokit.rest.issues.create({
      owner: repo.owner,
      repo: repo.repo,
      title: DASHBOARD_TITLE,
      body: 'mine',
    });
    const refresh = refresher(true);

    // Act
    const first = await refresh();
    const second = await refresh();
    const idle = await refresh();

    // Assess
    expect(first.result.dashboard).toMatchObject({ outcome: 'created', reruns: [] });
    expect(first.result.dashboard?.issue).not.toBe(mine.number);
    expect(first.writes).toEqual(['POST /repos/{owner}/{repo}/issues']);
    expect(second.result.dashboard?.outcome).toBe('unchanged');
    expect(second.writes).toEqual([]);
    expect(idle.result.outcome).toBe('idle');
    expect(idle.requests).toEqual(['GET /repos/{owner}/{repo}/issues 304']);
    const { data: after } = await repo.octokit.rest.issues.get({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: mine.number,
    });
    expect([after.body, after.updated_at]).toEqual([mine.body, mine.updated_at]);
  });

  it('leaves a dashboard a person closed closed, and creates no other', async () => {
    // Prepare
    const refresh = refresher(true);
    const first = await refresh();
    await repo.octokit.rest.issues.update({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: first.result.dashboard?.issue as number,
      state: 'closed',
    });

    // Act
    const next = await refresh(true);

    // Assess
    expect(next.result.dashboard).toMatchObject({ outcome: 'closed', issue: first.result.dashboard?.issue });
    expect(next.writes).toEqual([]);
  });
});

describe('refresh without the dashboard', () => {
  it('never reads or writes issues, and is idle on one 304 of the base ref', async () => {
    // Prepare
    const refresh = refresher(false);

    // Act
    const first = await refresh();
    const idle = await refresh();

    // Assess
    expect(first.result.dashboard).toBeUndefined();
    expect(first.requests.filter((r) => r.includes('/issues'))).toEqual([]);
    expect(first.writes).toEqual([]);
    expect(idle.requests).toEqual(['GET /repos/{owner}/{repo}/git/ref/{ref} 304']);
  });
});
