/**
 * The flows that prove each statement of each function role necessary (test/e2e/permissions-necessity.test.ts), run
 * on the embedded stand-ins with IAM evaluated, and the generated table of infra/PERMISSIONS.md that records which flow
 * fails without which statement. A flow answers the problems it saw: none when it did everything it should.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DASHBOARD_DRIFT_KEY, isDashboard } from '../../functions/lib/dashboard';
import type { LocalEnvironment, ReconcileRun } from '../../local/environment';
import type { FunctionName } from '../../local/function-roles';

export type FlowName = 'new-account' | 'existing-account' | 'reconcile' | 'refresh';

export const FLOWS: Record<FlowName, string> = {
  'new-account': 'onboarding of a new account (both CreateAccount events)',
  'existing-account': 'onboarding of an existing account in an OU (by id)',
  reconcile: 'reconcile sweep in remediate mode (one account drifted)',
  refresh:
    'refresh with the dashboard (its first render; then a box ticked: the pull request regenerated with force, the onboarding re-run)',
};

/** The flows that exercise a function's role. */
export const FLOWS_OF: Record<FunctionName, FlowName[]> = {
  'resolve-account': ['new-account', 'existing-account'],
  'ensure-cicd-role': ['new-account', 'existing-account'],
  'open-pull-request': ['new-account', 'existing-account'],
  'reconcile-inventory': ['reconcile'],
  'reconcile-check': ['reconcile'],
  'reconcile-repo': ['reconcile'],
  'reconcile-report': ['reconcile'],
  // Synthesized only with offboarding.enabled, which the necessity environment leaves off (infra/PERMISSIONS.md).
  'resolve-departure': [],
  'open-offboarding-pull-request': [],
  refresh: ['refresh'],
};

/** Statements the Lambda service uses, not the function's code: no call of a flow needs them. */
export const RUNTIME_ACTIONS: Record<string, string> = {
  'logs:CreateLogStream': 'Lambda writes the function’s logs to its log group',
  'logs:PutLogEvents': 'Lambda writes the function’s logs to its log group',
  'xray:PutTraceSegments': 'Lambda sends the active-tracing segments',
  'xray:PutTelemetryRecords': 'Lambda sends the active-tracing segments',
};

const standIn = (env: LocalEnvironment) => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;

/** The role, the trust and the pull request an onboarded account must have. */
async function onboardedProblems(env: LocalEnvironment, accountId: string): Promise<string[]> {
  const problems: string[] = [];
  const role = standIn(env).state.readRole(accountId, env.config.cicdRoleName);
  if (!role) problems.push(`no ${env.config.cicdRoleName} role in ${accountId}`);
  const { owner, repo, octokit } = env.github;
  const head = `${owner}:${env.config.github.branchPrefix}${accountId}`;
  const { data } = await octokit.pulls.list({ owner, repo, head, state: 'open' });
  if (data.length !== 1) problems.push(`${data.length} open pull requests for ${accountId}`);
  return problems;
}

const outcomeProblems = (label: string, outcome: { status: string; error?: string; cause?: string }): string[] =>
  outcome.status === 'SUCCEEDED' ? [] : [`${label} ${outcome.status}: ${outcome.error} ${outcome.cause ?? ''}`.trim()];

/** A new account: CreateAccount, then both EventBridge events delivered at once, as AWS delivers them. */
export async function newAccountFlow(
  env: LocalEnvironment,
  name: string,
): Promise<{ accountId: string; problems: string[] }> {
  const created = await env.createAccount(name);
  const deliveries = await Promise.all(created.events.map((event) => env.deliver(event)));
  const reports = deliveries.flatMap((d) => (d.report ? [d.report] : []));
  const problems = reports.flatMap((r) => outcomeProblems('execution', r.outcome as never));
  if (reports.length === 0) problems.push('no rule started an execution');
  return {
    accountId: created.accountId,
    problems: [...problems, ...(await onboardedProblems(env, created.accountId))],
  };
}

/** An existing account in an OU, onboarded by hand (`{"accountId": …}`): resolve-account walks its OU path. */
export async function existingAccountFlow(env: LocalEnvironment, accountId: string): Promise<string[]> {
  const report = await env.startExecution({ accountId });
  return [...outcomeProblems('execution', report.outcome as never), ...(await onboardedProblems(env, accountId))];
}

/** What a reconcile run did, in a form two runs can be compared by. */
export function reconcileFingerprint(env: LocalEnvironment, run: ReconcileRun, callsBefore: number) {
  const reportPublished = standIn(env)
    .calls.slice(callsBefore)
    .some(
      (c) =>
        c.service === 'sns' &&
        c.action === 'Publish' &&
        c.status === 200 &&
        /reconcile-report$/.test(c.callerArn ?? ''),
    );
  const summary = run.report?.summary;
  return {
    outcome: run.outcome.status,
    accountsChecked: summary?.accountsChecked,
    skipped: summary?.skipped,
    drifted: (summary?.accounts ?? []).map((a) => `${a.accountId}: ${a.drift.join(', ')}`),
    remediationsStarted: (run.report?.remediation.started ?? []).map((s) => s.accountId),
    executions: run.executions.map((e) => e.status),
    reportPublished,
  };
}

let sweeps = 0;

/**
 * A sweep in remediate mode with `drifted`'s cicd role deleted: it must check every account but the skipped ones,
 * report that account, publish the report and start one onboarding that puts the role back. Each sweep starts in its
 * own minute (the run id, which names the remediation executions).
 */
export async function reconcileFlow(env: LocalEnvironment, drifted: string) {
  const { state } = standIn(env);
  if (state.findRole(drifted, env.config.cicdRoleName))
    state.deleteRole(drifted, env.config.cicdRoleName, { force: true });
  const callsBefore = standIn(env).calls.length;
  const startTime = new Date(Date.UTC(2030, 0, 1, 0, ++sweeps)).toISOString();
  const run = await env.runReconcile('remediate', { startTime });
  const fingerprint = reconcileFingerprint(env, run, callsBefore);
  return { fingerprint, restored: state.findRole(drifted, env.config.cicdRoleName) !== undefined };
}

/** The open issue carrying the dashboard marker, as listed. */
export async function dashboardIssue(env: LocalEnvironment) {
  const { owner, repo, octokit } = env.github;
  const { data } = await octokit.rest.issues.listForRepo({ owner, repo, state: 'open', per_page: 100 });
  return data.find((i) =>
    isDashboard({
      number: i.number,
      state: 'open',
      body: i.body,
      updatedAt: i.updated_at,
      isPullRequest: !!i.pull_request,
    }),
  );
}

/** Ticks the box of `accountId` on the dashboard issue, as a person does in the browser; false when there is none. */
export async function tickDashboardBox(env: LocalEnvironment, accountId: string): Promise<boolean> {
  const { owner, repo, octokit } = env.github;
  const issue = await dashboardIssue(env);
  const box = `- [ ] \`${accountId}\``;
  if (!issue?.body?.includes(box)) return false;
  await octokit.rest.issues.update({
    owner,
    repo,
    issue_number: issue.number,
    body: issue.body.replace(box, `- [x] \`${accountId}\``),
  });
  return true;
}

/**
 * A refresh of a new account in an OU, with nothing remembered (its state object deleted) and a reconcile drift on
 * file: the first run renders
 * the dashboard; a person ticks the new account's box; the second run regenerates that account's pull request
 * (`force`), starts its re-run and unticks the box.
 */
export async function refreshFlow(env: LocalEnvironment, name: string): Promise<string[]> {
  // An account in an OU (Workloads/Prod), as regenerating its folder reads the OU path.
  const prod = standIn(env).state.findOrganizationalUnit('Prod')?.id as string;
  const accountId = standIn(env).state.createAccount({ name, parentId: prod }).id as string;
  const problems = await existingAccountFlow(env, accountId);
  if (problems.length > 0) return problems.map((p) => `onboarding: ${p}`);
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: env.aws.endpoint,
    credentials: env.aws.credentials,
    forcePathStyle: true,
  });
  const Bucket = env.env.REFRESH_BUCKET as string;
  await s3.send(new DeleteObjectCommand({ Bucket, Key: 'refresh/state.json' }));
  await s3.send(
    new PutObjectCommand({
      Bucket,
      Key: DASHBOARD_DRIFT_KEY,
      Body: JSON.stringify({ runId: 'necessity', accounts: [{ accountId, drift: ['role-missing'] }] }),
    }),
  );
  const first = await env.runRefresh({});
  if (first.outcome.status !== 'SUCCEEDED') return outcomeProblems('first refresh', first.outcome as never);
  if (!(await tickDashboardBox(env, accountId))) return [`the dashboard does not show ${accountId}`];
  const second = await env.runRefresh({ force: [accountId] });
  if (second.outcome.status !== 'SUCCEEDED') return outcomeProblems('second refresh', second.outcome as never);
  const found: string[] = [];
  if (!second.result?.refreshed.some((r) => r.accountId === accountId && r.outcome === 'updated')) {
    found.push(`the pull request of ${accountId} was not regenerated`);
  }
  if (second.executions.filter((e) => e.status === 'SUCCEEDED').length !== 1) {
    found.push(`re-runs: ${JSON.stringify(second.executions.map((e) => e.status))}, not one that succeeded`);
  }
  if ((await dashboardIssue(env))?.body?.includes(`- [x] \`${accountId}\``)) found.push('the box is still ticked');
  return found;
}

// ---- the generated table of infra/PERMISSIONS.md ----------------------------------------------------------------------

export const TABLE_START = '<!-- statement necessity: generated by test/e2e/permissions-necessity.test.ts -->';
export const TABLE_END = '<!-- end of statement necessity -->';

export interface StatementRow {
  rolePath: string;
  /** 1-based, in the role's policy. */
  index: number;
  sid?: string;
  actions: string[];
  resources: string;
  /** The flows that fail without it, or the runtime's use of it. */
  neededBy: string;
  /** The calls IAM refused in those flows once it was removed. */
  refused: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderTable(rows: StatementRow[]): string {
  const lines = [
    TABLE_START,
    '| Role | Statement | Actions | Resources | Needed by | Refused without it |',
    '| ---- | --------- | ------- | --------- | --------- | ------------------ |',
    ...rows.map((r) =>
      [
        '',
        `\`${r.rolePath}\``,
        `${r.index}${r.sid ? ` \`${r.sid}\`` : ''}`,
        r.actions.map((a) => `\`${a}\``).join(', '),
        cell(r.resources),
        cell(r.neededBy),
        cell(r.refused),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    TABLE_END,
  ];
  return lines.join('\n');
}

/** The rows of the generated table in a PERMISSIONS.md text: role, statement index and actions. */
export function readGeneratedTable(markdown: string): Array<{ rolePath: string; index: number; actions: string[] }> {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end === -1) return [];
  return markdown
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(' | ');
      const code = (text = '') => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
      return {
        rolePath: code(cells[0])[0] ?? '',
        index: Number.parseInt(cells[1] ?? '', 10),
        actions: code(cells[2]),
      };
    });
}

/** Replaces the generated table in a PERMISSIONS.md text. */
export function withGeneratedTable(markdown: string, table: string): string {
  const start = markdown.indexOf(TABLE_START);
  const end = markdown.indexOf(TABLE_END);
  if (start === -1 || end === -1) throw new Error(`PERMISSIONS.md has no "${TABLE_START}" … "${TABLE_END}" section`);
  return markdown.slice(0, start) + table + markdown.slice(end + TABLE_END.length);
}
