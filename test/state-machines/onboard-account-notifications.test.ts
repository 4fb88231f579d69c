import * as errors from '../../functions/lib/errors';
import { MAX_INPUT_BYTES, parseExecutionInput } from '../../functions/lib/execution-input';
import type { AccountContext, ResolveResult, RoleResult } from '../../functions/lib/types';
import { runOnboarding, TEST_EXECUTION_ID } from '../support/asl';

// The failure notification is read in a mail client: it must say what failed, for which account, why,
// where to look and what to do, without opening the console.

const account: AccountContext = {
  accountId: '012345678901',
  name: 'Workload Dev 01',
  email: 'aws+workload-dev-01@example.com',
  status: 'ACTIVE',
  ouPath: [{ id: 'r-ab12', name: 'Root' }],
  tags: {},
};
const onboard: ResolveResult = { decision: 'onboard', account, trigger: 'event', force: false, drift: [] };
const role: RoleResult = {
  outcome: 'created',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: ['created role cicd'],
  accessRole: 'OrganizationAccountAccessRole',
};
const CONSOLE_LINK = `Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${TEST_EXECUTION_ID}`;

const fails = (error: Error) => () => {
  throw error;
};

describe('onboard-account failure notification', () => {
  it('names the account, the failed step, the error, the console link and the re-run input, with the cause last', async () => {
    // Prepare
    const error = new errors.GitHubAuthFailed('the app lacks Workflows write permission');

    // Act
    const run = await runOnboarding(
      { accountId: '012345678901' },
      { resolveAccount: () => onboard, ensureCicdRole: () => role, openPullRequest: fails(error) },
    );

    // Assess
    expect(run.notifications).toHaveLength(1);
    const lines = (run.notifications[0]?.Message ?? '').split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'Onboarding of AWS account 012345678901 (Workload Dev 01) failed.',
      '',
      'Failed step: open-pull-request (the account folder and matrix entry in the Terraform repo)',
      'Error: GitHubAuthFailed',
      `Execution: ${TEST_EXECUTION_ID}`,
      CONSOLE_LINK,
      '',
    ]);
    expect(lines[7]).toContain('Redrive the execution');
    expect(lines[7]).toContain(
      're-run: StartExecution of the onboard-account state machine with {"accountId": "012345678901"}',
    );
    const cause = lines.at(-1) ?? '';
    expect(cause.startsWith('Cause: ')).toBe(true);
    expect(JSON.parse(cause.slice('Cause: '.length))).toMatchObject({
      errorType: 'GitHubAuthFailed',
      errorMessage: 'the app lacks Workflows write permission',
    });
  });

  it('names ensure-cicd-role when the role step fails', async () => {
    // Act
    const run = await runOnboarding(
      { accountId: '012345678901' },
      { resolveAccount: () => onboard, ensureCicdRole: fails(new errors.RoleNotManaged('cicd exists unmanaged')) },
    );

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'RoleNotManaged' });
    expect(run.notifications[0]?.Message).toContain(
      'Failed step: ensure-cicd-role (create or converge the cicd role in the account)\nError: RoleNotManaged\n',
    );
  });

  it('gives the console link and a re-run template when the account was never resolved, with the cause last', async () => {
    // Act
    const run = await runOnboarding(
      { accountId: 'nope' },
      { resolveAccount: fails(new errors.InvalidInput('accountId must be 12 digits')) },
    );

    // Assess
    const message = run.notifications[0]?.Message ?? '';
    expect(message).toContain(`Error: InvalidInput\nExecution: ${TEST_EXECUTION_ID}\n${CONSOLE_LINK}\n`);
    expect(message).toContain('Execution input: not shown (resolve-account did not accept it');
    expect(message).toContain(
      'StartExecution of the onboard-account state machine with {"accountId": "<12-digit account id>"}',
    );
    expect(message).toMatch(/\n\nCause: \{.*"errorMessage":"accountId must be 12 digits".*\}$/);
  });

  // SNS takes at most 256 KiB (UTF-8 bytes) per message; Step Functions starts executions with inputs up to 256 KiB.
  const SNS_MAX_BYTES = 256 * 1024;
  const realParser = (event: { input: unknown }) => parseExecutionInput(event.input);

  it.each([
    ['null', null],
    ['over 64 KiB of multi-byte text', { accountId: '012345678901', note: '€'.repeat(80_000) }],
    [
      'an event just under the 256 KiB execution limit',
      { source: 'aws.organizations', detail: { x: 'é'.repeat(130_000) } },
    ],
  ])('rejects an input that is %s with InvalidInput and a notification that fits SNS', async (_, input) => {
    // Act
    const run = await runOnboarding(input, { resolveAccount: realParser });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run.notifications).toHaveLength(1);
    const message = run.notifications[0]?.Message ?? '';
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThan(SNS_MAX_BYTES);
    expect(message).toContain('Execution input: not shown');
    expect(message).toMatch(input === null ? /not an object.*got null/ : /too large.*bytes of JSON/);
  });

  it('fits SNS with the largest input it shows and the longest cause Step Functions keeps', async () => {
    // Prepare: an accepted input of MAX_INPUT_BYTES, and an error message of 16k four-byte characters, which the
    // cause carries twice (message and trace): about the 32,768 characters of a cause Step Functions keeps at most
    const input = { accountId: '012345678901', padding: '' };
    input.padding = 'x'.repeat(MAX_INPUT_BYTES - Buffer.byteLength(JSON.stringify(input)));
    const cause = '😀'.repeat(16_384 - 40);

    // Act
    const run = await runOnboarding(input, { resolveAccount: fails(new errors.AwsThrottled(cause)) });

    // Assess
    const message = run.notifications[0]?.Message ?? '';
    expect(message).toContain(`Execution input: ${JSON.stringify(input)}`);
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThan(SNS_MAX_BYTES);
  });
});
