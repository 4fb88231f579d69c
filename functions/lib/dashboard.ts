import type { OnboardingConfig } from './config';
import { accountPulls } from './repo-placement';
import type { RepoObservation } from './repo-plan';
import type { AccountId } from './types';
import { readMatrixLists } from './workflow-matrix';

/**
 * The "Account onboarding dashboard" issue (issue 12.4), like Renovate's dependency dashboard: one issue in the
 * Terraform repository that shows every account the repository knows and lets a person ask for a re-run by ticking
 * the box beside it. Pure: the rows from one repository observation (repo-snapshot.ts), the body rendered from the
 * rows, the plan (create, update or nothing) from the issue as read. functions/lib/refresh.ts observes and applies.
 *
 * Ownership: the issue is found by the hidden marker on its first line, never by its title; an issue without the
 * marker is never read for ticks, edited or commented on. The whole body of the marked issue is the tool's except
 * the state of its checkboxes: a person's other edits are replaced at the next refresh that sees them.
 */

export const DASHBOARD_TITLE = 'Account onboarding dashboard';
export const DASHBOARD_MARKER = '<!-- oidc-account-onboarding:dashboard v1 -->';
/** In the reconcile bucket: the drift of the last report, for the dashboard (reconcile-report writes, refresh reads). */
export const DASHBOARD_DRIFT_KEY = 'runs/dashboard-drift.json';

export type DashboardState = 'pull-request' | 'edited' | 'declined' | 'onboarded' | 'not-onboarded';

export interface DashboardRow {
  accountId: AccountId;
  state: DashboardState;
  /** The account's folder on the base branch, or the one its pull request adds. */
  folder?: string;
  pull?: { number: number; url: string };
  /** `conflicted`: GitHub's mergeable (null while computing); `behind-base`: whether the commit is on the base. */
  mergeable?: boolean | null;
  behind?: boolean;
  /** Drift classes of the last reconcile report. */
  drift: string[];
}

/** What the last reconcile sweep found, per drifted account (reconcile-report writes it for the dashboard). */
export interface DashboardDrift {
  runId: string;
  accounts: Array<{ accountId: AccountId; name?: string; drift: string[] }>;
}

/** The pull request facts the refresh learnt this run: mergeability, or whether it is behind the base. */
export interface PullFacts {
  mergeable?: boolean | null;
  behind?: boolean;
}

const STATE_ORDER: DashboardState[] = ['pull-request', 'edited', 'declined', 'not-onboarded', 'onboarded'];

/**
 * One row per account the repository or the last reconcile report knows, most in need of a person first. An account
 * in a batch pull request shows that pull request (edited once a person pushed to it), as a single one would.
 */
export function dashboardRows(
  obs: RepoObservation,
  config: OnboardingConfig,
  facts: ReadonlyMap<number, PullFacts>,
  drift?: DashboardDrift,
): DashboardRow[] {
  const matrix = new Set(
    obs.workflowText ? readMatrixLists(obs.workflowText, config.github.matrixKey).flatMap((l) => l.entries) : [],
  );
  const folderOf = new Map<AccountId, string>();
  for (const [path, folder] of Object.entries(obs.folders).sort(([a], [b]) => a.localeCompare(b))) {
    if (folder.tfvarsAccountId && !folderOf.has(folder.tfvarsAccountId)) folderOf.set(folder.tfvarsAccountId, path);
  }
  const driftOf = new Map((drift?.accounts ?? []).map((a) => [a.accountId, a.drift]));
  const batched = (obs.batches ?? []).flatMap((b) => b.marker?.accounts.map((a) => a.accountId) ?? []);
  const ids = new Set<AccountId>([
    ...folderOf.keys(),
    ...obs.pulls.map((p) => p.accountId),
    ...batched,
    ...driftOf.keys(),
  ]);
  const rows = [...ids].map((accountId): DashboardRow => {
    // Its single pull requests and its views of the batches that list it, newest first.
    const pulls = accountPulls(obs, accountId);
    const open = pulls.find((p) => p.state === 'open');
    const last = pulls[0];
    const folder = folderOf.get(accountId) ?? open?.marker?.folder;
    const onboarded = folderOf.has(accountId) && matrix.has(folderOf.get(accountId) as string);
    const row: DashboardRow = { accountId, state: 'not-onboarded', drift: driftOf.get(accountId) ?? [] };
    if (folder) row.folder = folder;
    if (open) {
      const ours = open.marker?.accountId === accountId && open.headIsOurs !== false;
      row.state = ours ? 'pull-request' : 'edited';
      row.pull = { number: open.number, url: open.url };
      const known = facts.get(open.number);
      if (ours && known?.mergeable !== undefined) row.mergeable = known.mergeable;
      if (ours && known?.behind !== undefined) row.behind = known.behind;
    } else if (onboarded) {
      row.state = 'onboarded';
    } else if (last && last.state === 'closed' && !last.merged && !last.marker?.superseded) {
      row.state = 'declined';
      row.pull = { number: last.number, url: last.url };
    }
    return row;
  });
  return rows.sort(
    (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.accountId.localeCompare(b.accountId),
  );
}

const LABELS: Record<DashboardState, string> = {
  'pull-request': 'pull request open',
  edited: 'pull request edited by a person (left alone)',
  declined: 'pull request declined (closed unmerged)',
  'not-onboarded': 'not onboarded, no pull request',
  onboarded: 'onboarded',
};

const accountMarker = (id: AccountId) => `<!-- account:${id} -->`;

function describe(row: DashboardRow): string {
  const parts: string[] = [];
  if (row.folder) parts.push(`\`${row.folder}\``);
  const pr = row.pull ? `[#${row.pull.number}](${row.pull.url})` : undefined;
  switch (row.state) {
    case 'pull-request': {
      const status =
        row.mergeable === true
          ? 'mergeable'
          : row.mergeable === false
            ? 'conflicts (regenerated by the next refresh)'
            : row.mergeable === null
              ? 'GitHub is computing mergeability'
              : row.behind === true
                ? 'behind the base'
                : row.behind === false
                  ? 'on the current base'
                  : 'open';
      parts.push(`pull request ${pr}: ${status}`);
      break;
    }
    case 'edited':
      parts.push(`pull request ${pr}: edited by a person, left alone (merge it, or delete its branch to hand it back)`);
      break;
    case 'declined':
      parts.push(`pull request ${pr} declined: tick to reopen it with force`);
      break;
    case 'onboarded':
      parts.push('onboarded');
      break;
    case 'not-onboarded':
      parts.push('not onboarded');
      break;
  }
  if (row.drift.length > 0) parts.push(`drift: ${row.drift.map((d) => `\`${d}\``).join(', ')}`);
  return parts.join(' · ');
}

/** The issue body for these rows, every box unticked. Deterministic: same rows, same body, so no needless edit. */
export function renderDashboard(rows: DashboardRow[], drift?: DashboardDrift): string {
  const count = (state: DashboardState) => rows.filter((r) => r.state === state).length;
  const open = rows.filter((r) => r.state === 'pull-request');
  const mergeable = open.filter((r) => r.mergeable === true).length;
  const conflicting = open.filter((r) => r.mergeable === false).length;
  const drifted = rows.filter((r) => r.drift.length > 0).length;
  const lines = [
    DASHBOARD_MARKER,
    'Kept by [oidc-account-onboarding](https://github.com/oidc-account-onboarding) at each refresh and reconcile run.',
    'Tick the box beside an account to re-run its onboarding (with `force`) at the next refresh; the box is unticked once',
    'the run has started. Everything else in this issue is rewritten by the tool: edits other than the boxes are not kept.',
    '',
    '| state | accounts |',
    '| --- | ---: |',
    ...STATE_ORDER.map((s) => {
      const extra =
        s === 'pull-request' && open.length > 0 ? ` (${mergeable} mergeable, ${conflicting} conflicting)` : '';
      return `| ${LABELS[s]} | ${count(s)}${extra} |`;
    }),
    `| drifted at the last reconcile run${drift ? ` (\`${drift.runId}\`)` : ''} | ${drift ? drifted : 'no run yet'} |`,
    '',
    '### Accounts',
    '',
    ...(rows.length === 0
      ? ['No account folder or onboarding pull request yet.']
      : rows.map((r) => `- [ ] \`${r.accountId}\` ${describe(r)} ${accountMarker(r.accountId)}`)),
    '',
  ];
  return lines.join('\n');
}

/** An issue as GitHub lists it. */
export interface IssueSeen {
  number: number;
  state: 'open' | 'closed';
  body?: string | null;
  updatedAt: string;
  isPullRequest?: boolean;
}

export const isDashboard = (issue: IssueSeen): boolean =>
  !issue.isPullRequest && (issue.body ?? '').split('\n', 1)[0]?.trim() === DASHBOARD_MARKER;

/** Accounts whose box is ticked in a dashboard body (only lines carrying an account marker count). */
export function tickedAccounts(body: string): AccountId[] {
  const ids: AccountId[] = [];
  for (const line of body.split('\n')) {
    const m = /^\s*[-*] \[[xX]\] .*<!-- account:(\d{12}) -->\s*$/.exec(line);
    if (m?.[1] && !ids.includes(m[1])) ids.push(m[1]);
  }
  return ids;
}

export type DashboardAction =
  | { type: 'create'; title: string; body: string }
  | { type: 'update'; number: number; body: string }
  | { type: 'none'; number: number }
  /** A person closed the dashboard: left closed (turn it off with `dashboard.enabled`, or reopen it). */
  | { type: 'closed'; number: number };

export interface DashboardPlan {
  action: DashboardAction;
  /** Ticked accounts the dashboard shows: each gets a forced onboarding, then its box is unticked by the update. */
  reruns: AccountId[];
}

/** What to do with the dashboard issue, given the one the tool found (by marker) and the rows of this run. */
export function planDashboard(
  found: IssueSeen | undefined,
  rows: DashboardRow[],
  drift?: DashboardDrift,
): DashboardPlan {
  const body = renderDashboard(rows, drift);
  if (!found) return { action: { type: 'create', title: DASHBOARD_TITLE, body }, reruns: [] };
  if (!isDashboard(found)) throw new Error(`issue #${found.number} is not the dashboard (no marker): never touched`);
  if (found.state === 'closed') return { action: { type: 'closed', number: found.number }, reruns: [] };
  const shown = new Set(rows.map((r) => r.accountId));
  const reruns = tickedAccounts(found.body ?? '').filter((id) => shown.has(id));
  const current = (found.body ?? '').replace(/\r\n/g, '\n');
  return current === body
    ? { action: { type: 'none', number: found.number }, reruns }
    : { action: { type: 'update', number: found.number, body }, reruns };
}

/** The execution name of a re-run asked for by a tick: one per account and edit of the issue, so a retry is a no-op. */
export function rerunExecutionName(accountId: AccountId, issueUpdatedAt: string): string {
  return `dashboard-${accountId}-${issueUpdatedAt.replace(/[^0-9A-Za-z]/g, '')}`.slice(0, 80);
}
