/**
 * Secrets never leave the product (DESIGN.md: "secrets never appear in logs, state input/output or errors"): a
 * full run on the embedded stand-ins with a distinctive GitHub token, a run GitHub refuses, a run that cannot
 * assume into its account and a reconcile run that remediates, with everything the product emits captured: every execution's event log (inputs and
 * outputs of each state, errors and causes), every SNS message, every line written to stdout, stderr or the console.
 */
import { format } from 'node:util';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalEnvironment } from '../../local/environment';
import { type ExecutionEventRecorder, recordExecutionEvents } from '../support/execution-events';

/** Distinctive and not shaped like a GitHub token, so only not emitting it (not pattern redaction) keeps it out. */
const GITHUB_TOKEN = 'canaryGithubToken7Qx2Vb9LmZ4Rt8Wd3';
const WRONG_TOKEN = 'canaryRotatedWrongToken5Hn1Kc6Py0Sj';

let env: LocalEnvironment;
let executions: ExecutionEventRecorder;
const output: string[] = [];
const thrown: string[] = [];
const restores: Array<() => void> = [];
const logLevel = process.env.POWERTOOLS_LOG_LEVEL;

/** Records (and silences) whatever is written to stdout, stderr and the console. */
function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    });
    restores.push(() => spy.mockRestore());
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(format(...args));
    });
    restores.push(() => spy.mockRestore());
  }
}

beforeAll(async () => {
  // Before the handlers (and so the logger) load: every debug line is produced and can be checked.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  captureOutput();
  executions = recordExecutionEvents();
  const { startLocalEnvironment } = await import('../../local/environment');
  env = await startLocalEnvironment({
    handlers: 'source',
    githubToken: GITHUB_TOKEN,
    aws: { createAccount: { inProgressPolls: 1 } },
  });
}, 60_000);

afterAll(async () => {
  executions?.stop();
  for (const restore of restores.reverse()) restore();
  await env?.stop();
  if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
});

const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;

async function putGitHubToken(token: string): Promise<void> {
  const secrets = new SecretsManagerClient(aws().clientConfig());
  await secrets.send(
    new PutSecretValueCommand({ SecretId: env.config.github.auth.secretArn, SecretString: JSON.stringify({ token }) }),
  );
}

/** Runs an action of the product, keeping the message of anything it throws. */
async function emitted<T>(action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    thrown.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error));
    return undefined;
  }
}

const resultEvent = (events: Record<string, unknown>[]) =>
  events.find((e) => (e.detail as { eventName?: string }).eventName === 'CreateAccountResult') as Record<
    string,
    unknown
  >;

describe('credentials handled by the product', () => {
  it('appear in no log line, execution input or output, notification or error of a full, a refused and a failed run', async () => {
    // Prepare: the first run reads a rotated, wrong token, so GitHub refuses it
    await putGitHubToken(WRONG_TOKEN);
    const refusedAccount = await env.createAccount('workload-refused-01');

    // Act
    const refused = await emitted(() => env.deliver(resultEvent(refusedAccount.events)));
    await putGitHubToken(GITHUB_TOKEN);
    const created = await env.createAccount('workload-secret-01');
    const onboarded = await Promise.all(created.events.map((e) => emitted(() => env.deliver(e))));
    const rerun = await emitted(() => env.startExecution({ accountId: refusedAccount.accountId }));
    aws().setFaults({ newAccountAssumableAfter: 1000 });
    const unreachableAccount = await env.createAccount('workload-unreachable-01');
    const unreachable = await emitted(() => env.deliver(resultEvent(unreachableAccount.events)));
    aws().setFaults({});
    const reconciled = await emitted(() => env.runReconcile('remediate'));

    // Assess: the runs went as intended, so there is something to inspect
    expect(refused?.report?.outcome).toMatchObject({ status: 'FAILED', error: 'GitHubAuthFailed' });
    expect(onboarded.map((d) => d?.report?.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(rerun?.outcome).toMatchObject({ status: 'SUCCEEDED', output: { pullRequest: { outcome: 'opened' } } });
    expect(unreachable?.report?.outcome).toMatchObject({ status: 'FAILED', error: 'AccountNotReady' });
    expect(reconciled?.outcome.status).toBe('SUCCEEDED');
    expect(reconciled?.executions.length).toBeGreaterThan(0);
    const reports = [refused?.report, ...onboarded.map((d) => d?.report), rerun, unreachable?.report, reconciled];
    const published = aws().state.published;
    expect(published.length).toBeGreaterThanOrEqual(2);
    const events = executions.events;
    // Five onboarding runs, the reconcile run (and its Map iterations) and the executions it started.
    expect(events.filter((e) => e.type === 'ExecutionStarted').length).toBeGreaterThanOrEqual(
      6 + (reconciled?.executions.length ?? 0),
    );
    expect(events.some((e) => e.type === 'StateExited' && e.state.name === 'OpenPullRequest')).toBe(true);
    expect(events.some((e) => e.type === 'StateFailed' && /GitHubAuthFailed/.test(JSON.stringify(e)))).toBe(true);
    const productLogs = output.filter((line) => line.includes('"service":"oidc-account-onboarding"'));
    expect(productLogs.some((line) => line.includes('"level":"DEBUG"'))).toBe(true);
    expect(productLogs.some((line) => line.includes('"level":"INFO"'))).toBe(true);

    // Assess: no credential in any of it
    const sessions = [...aws().state.credentials.values()].filter((c) => c.sessionToken !== undefined);
    expect(sessions.length).toBeGreaterThan(0);
    const secrets = new Map<string, string>([
      ['GitHub token', GITHUB_TOKEN],
      ['rotated GitHub token', WRONG_TOKEN],
      ['stand-in secret access key', env.aws.credentials.secretAccessKey],
      ...sessions.flatMap(
        (c): Array<[string, string]> => [
          [`session token of ${c.caller.arn}`, c.sessionToken as string],
          [`session secret key of ${c.caller.arn}`, c.secretAccessKey],
        ],
      ),
    ]);
    const emissions: Array<[string, string]> = [
      ...reports.map((r, i): [string, string] => [`execution report ${i}`, JSON.stringify(r)]),
      ...events.map((e, i): [string, string] => [`execution event ${i} (${e.type})`, JSON.stringify(e)]),
      ...published.map((m, i): [string, string] => [`SNS message ${i}`, JSON.stringify(m)]),
      ...output.map((line, i): [string, string] => [`output line ${i}`, line]),
      ...thrown.map((message, i): [string, string] => [`thrown error ${i}`, message]),
    ];
    const leaks = emissions.flatMap(([where, text]) =>
      [...secrets].filter(([, value]) => text.includes(value)).map(([what]) => `${what} in ${where}`),
    );
    expect(leaks).toEqual([]);
  }, 120_000);
});
