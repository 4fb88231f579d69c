import * as errors from '../../functions/lib/errors';
import { parseExecutionInput } from '../../functions/lib/execution-input';
import { RETRY_CONTRACT } from '../../functions/lib/retry-contract';
import type { AccountContext, PullRequestResult, ResolveResult, RoleResult } from '../../functions/lib/types';
import {
  definitionPlaceholders,
  ONBOARD_ACCOUNT_ASL,
  ONBOARD_ACCOUNT_SUBSTITUTIONS,
  readDefinition,
  runOnboarding,
  TEST_EXECUTION_ID,
} from '../support/asl';

// Stub step handlers: they honour the handlers' contracts (event in, result out, named errors thrown).

const account: AccountContext = {
  accountId: '012345678901',
  name: 'Workload Dev 01',
  email: 'aws+workload-dev-01@example.com',
  status: 'ACTIVE',
  ouPath: [
    { id: 'r-ab12', name: 'Root' },
    { id: 'ou-ab12-cd34ef56', name: 'Workloads' },
  ],
  tags: {},
};

const onboard: ResolveResult = { decision: 'onboard', account, trigger: 'event', force: false, drift: [] };

const role: RoleResult = {
  outcome: 'created',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: ['created role cicd', 'attached AdministratorAccess'],
  accessRole: 'OrganizationAccountAccessRole',
};

const pullRequest: PullRequestResult = {
  outcome: 'opened',
  branch: 'onboarding/workload-dev-01',
  folder: 'aws-accounts/workload-dev-01',
  number: 42,
  url: 'https://github.com/acme/terraform-aws/pull/42',
  files: ['aws-accounts/workload-dev-01/main.tf', '.github/workflows/tf-cicd-aws.yml'],
};

const createAccountResult = {
  version: '0',
  id: 'c5d2f8a0-0000-4000-8000-000000000001',
  source: 'aws.organizations',
  'detail-type': 'AWS Service Event via CloudTrail',
  account: '000000000000',
  region: 'us-east-1',
  detail: {
    eventSource: 'organizations.amazonaws.com',
    eventName: 'CreateAccountResult',
    serviceEventDetails: {
      createAccountStatus: { id: 'car-0123456789abcdef', state: 'SUCCEEDED', accountId: '012345678901' },
    },
  },
};

/** Returns each value in turn, then keeps returning (or throwing) the last one. */
function sequence(...steps: Array<unknown | Error>) {
  const calls: unknown[] = [];
  const handler = (event: unknown) => {
    calls.push(event);
    const step = steps[Math.min(calls.length, steps.length) - 1];
    if (step instanceof Error) throw step;
    return step;
  };
  return Object.assign(handler, { calls });
}

describe('onboard-account state machine', () => {
  it('onboards a new account and returns a summary with the role and the pull request', async () => {
    // Prepare
    const resolveAccount = sequence(onboard);
    const ensureCicdRole = sequence(role);
    const openPullRequest = sequence(pullRequest);

    // Act
    const run = await runOnboarding(createAccountResult, { resolveAccount, ensureCicdRole, openPullRequest });

    // Assess
    expect(run.outcome).toEqual({
      status: 'SUCCEEDED',
      output: {
        outcome: 'onboarded',
        accountId: '012345678901',
        accountName: 'Workload Dev 01',
        folder: 'aws-accounts/workload-dev-01',
        trigger: 'event',
        role: { outcome: 'created', roleArn: 'arn:aws:iam::012345678901:role/cicd', changes: role.changes },
        pullRequest,
      },
    });
    expect(resolveAccount.calls).toEqual([{ input: createAccountResult, executionId: TEST_EXECUTION_ID }]);
    expect(ensureCicdRole.calls).toEqual([{ account, trigger: 'event', force: false, executionId: TEST_EXECUTION_ID }]);
    expect(openPullRequest.calls).toEqual([
      { account, role, trigger: 'event', force: false, drift: [], executionId: TEST_EXECUTION_ID },
    ]);
    expect(run.notifications).toEqual([]);
  });

  it('keeps the pull request outcome when it opened nothing (no url)', async () => {
    // Prepare
    const alreadyOnboarded: PullRequestResult = {
      outcome: 'already-onboarded',
      branch: 'onboarding/x',
      folder: 'aws-accounts/workload-dev-01',
      files: [],
    };

    // Act
    const run = await runOnboarding(
      { accountId: '012345678901' },
      {
        resolveAccount: sequence({ ...onboard, trigger: 'manual' }),
        ensureCicdRole: sequence({ ...role, outcome: 'unchanged', changes: [] }),
        openPullRequest: sequence(alreadyOnboarded),
      },
    );

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(run.outcome).toMatchObject({
      output: { role: { outcome: 'unchanged' }, pullRequest: alreadyOnboarded, trigger: 'manual' },
    });
  });

  it('skips an excluded account without touching it', async () => {
    // Prepare
    const skip: ResolveResult = {
      decision: 'skip',
      accountId: '000000000000',
      rule: 'management-account',
      reason: 'the management account',
    };
    const ensureCicdRole = sequence(role);

    // Act
    const run = await runOnboarding({ accountId: '000000000000' }, { resolveAccount: sequence(skip), ensureCicdRole });

    // Assess
    expect(run.outcome).toEqual({ status: 'SUCCEEDED', output: skip });
    expect(ensureCicdRole.calls).toHaveLength(0);
    expect(run.notifications).toEqual([]);
  });

  it('polls a CreateAccount request until the account exists, then onboards it', async () => {
    // Prepare
    const createAccountCall = { source: 'aws.organizations', detail: { eventName: 'CreateAccount' } };
    const pending: ResolveResult = { decision: 'pending', createAccountRequestId: 'car-0123456789abcdef' };
    const resolveAccount = sequence(pending, pending, pending, onboard);

    // Act
    const run = await runOnboarding(createAccountCall, {
      resolveAccount,
      ensureCicdRole: sequence(role),
      openPullRequest: sequence(pullRequest),
    });

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(resolveAccount.calls).toEqual(Array(4).fill({ input: createAccountCall, executionId: TEST_EXECUTION_ID }));
    expect(run.states.filter((s) => s === 'WaitForAccountCreation')).toHaveLength(3);
  });

  it('gives up on a CreateAccount request still in progress after 60 polls and says so', async () => {
    // Prepare
    const pending: ResolveResult = { decision: 'pending', createAccountRequestId: 'car-0123456789abcdef' };
    const resolveAccount = sequence(pending);

    // Act
    const run = await runOnboarding({ detail: { eventName: 'CreateAccount' } }, { resolveAccount });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'AccountCreationTimedOut' });
    expect(resolveAccount.calls).toHaveLength(61);
    expect(run.notifications).toHaveLength(1);
    expect(run.notifications[0]?.Message).toContain('car-0123456789abcdef was still IN_PROGRESS after 61 polls');
  });

  it('notifies and fails with AccountCreationFailed when Organizations reports the creation FAILED', async () => {
    // Prepare
    const failed = {
      ...createAccountResult,
      detail: {
        ...createAccountResult.detail,
        serviceEventDetails: { createAccountStatus: { state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' } },
      },
    };
    const resolveAccount = sequence(
      new errors.AccountCreationFailed('CreateAccount request car-0123456789abcdef FAILED: EMAIL_ALREADY_EXISTS'),
    );

    // Act
    const run = await runOnboarding(failed, { resolveAccount });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'AccountCreationFailed' });
    expect(run.outcome.status === 'FAILED' && JSON.parse(run.outcome.cause ?? '')).toMatchObject({
      errorType: 'AccountCreationFailed',
      errorMessage: 'CreateAccount request car-0123456789abcdef FAILED: EMAIL_ALREADY_EXISTS',
    });
    expect(run.notifications).toHaveLength(1);
    const [notice] = run.notifications;
    expect(notice?.TopicArn).toBe(ONBOARD_ACCOUNT_SUBSTITUTIONS.FailureTopicArn);
    expect(notice?.Subject).toBe('AWS account onboarding failed: AccountCreationFailed');
    expect(notice?.Message).toContain('Error: AccountCreationFailed');
    expect(notice?.Message).toContain('EMAIL_ALREADY_EXISTS');
    expect(notice?.Message).toContain(JSON.stringify(failed));
    expect(notice?.Message).toContain(`Execution: ${TEST_EXECUTION_ID}`);
  });

  it('notifies and fails with InvalidInput when the input is not understood, quoting it in the cause', async () => {
    // Prepare: the real input parser, as resolve-account runs it first
    const resolveAccount = Object.assign(
      (event: { input: unknown }) => {
        resolveAccount.calls.push(event);
        return parseExecutionInput(event.input);
      },
      { calls: [] as unknown[] },
    );

    // Act
    const run = await runOnboarding({ accountId: 42 }, { resolveAccount });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(run.notifications[0]?.Message).toContain('Execution input: not shown (resolve-account did not accept it');
    expect(run.notifications[0]?.Message).toMatch(/The input starts: \{\\?"accountId\\?":42\}/);
    expect(resolveAccount.calls).toHaveLength(1);
  });

  it('retries resolve-account while the account is PENDING_ACTIVATION, then goes on', async () => {
    // Prepare
    const pending = new errors.AccountNotReady('Account 012345678901 is PENDING_ACTIVATION');
    const resolveAccount = sequence(pending, pending, onboard);

    // Act
    const run = await runOnboarding(createAccountResult, {
      resolveAccount,
      ensureCicdRole: sequence(role),
      openPullRequest: sequence(pullRequest),
    });

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(run.retries).toEqual({ ResolveAccount: 2 });
    expect(run.notifications).toEqual([]);
  });

  it('notifies with the input once resolve-account accepted it and then failed for good', async () => {
    // Prepare
    const resolveAccount = sequence(
      new errors.AwsUnavailable('Organizations failed DescribeAccount (InternalFailure)'),
    );

    // Act
    const run = await runOnboarding({ accountId: '012345678901' }, { resolveAccount });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'AwsUnavailable' });
    expect(resolveAccount.calls).toHaveLength(7);
    expect(run.notifications[0]?.Message).toContain('Execution input: {"accountId":"012345678901"}');
  });

  it('retries ensure-cicd-role while the new account is not ready, then goes on', async () => {
    // Prepare
    const notReady = new errors.AccountNotReady('could not assume OrganizationAccountAccessRole yet');
    const ensureCicdRole = sequence(notReady, notReady, notReady, role);

    // Act
    const run = await runOnboarding(createAccountResult, {
      resolveAccount: sequence(onboard),
      ensureCicdRole,
      openPullRequest: sequence(pullRequest),
    });

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(ensureCicdRole.calls).toHaveLength(4);
    expect(run.retries).toEqual({ EnsureCicdRole: 3 });
    expect(run.notifications).toEqual([]);
  });

  it('stops retrying an account that never becomes ready after 10 retries and notifies with the account', async () => {
    // Prepare
    const ensureCicdRole = sequence(new errors.AccountNotReady('could not assume any member access role'));
    const openPullRequest = sequence(pullRequest);

    // Act
    const run = await runOnboarding(createAccountResult, {
      resolveAccount: sequence(onboard),
      ensureCicdRole,
      openPullRequest,
    });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'AccountNotReady' });
    expect(ensureCicdRole.calls).toHaveLength(11);
    expect(openPullRequest.calls).toHaveLength(0);
    const [notice] = run.notifications;
    expect(notice?.Subject).toBe('AWS account onboarding failed for 012345678901: AccountNotReady');
    expect(notice?.Message).toContain('Onboarding of AWS account 012345678901 (Workload Dev 01) failed.');
    expect(notice?.Message).toContain('could not assume any member access role');
  });

  it.each([
    ['GitHubConflict', new errors.GitHubConflict('branch moved')],
    ['GitHubRateLimited', new errors.GitHubRateLimited('secondary rate limit')],
    ['GitHubUnavailable', new errors.GitHubUnavailable('502 from GitHub')],
    ['AwsThrottled', new errors.AwsThrottled('Secrets Manager throttled')],
    [
      'Lambda.TooManyRequestsException',
      Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' }),
    ],
  ])('retries open-pull-request after %s', async (name, error) => {
    // Prepare
    const openPullRequest = sequence(error, pullRequest);

    // Act
    const run = await runOnboarding(createAccountResult, {
      resolveAccount: sequence(onboard),
      ensureCicdRole: sequence(role),
      openPullRequest,
    });

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(run.retries).toEqual({ OpenPullRequest: 1 });
    expect(openPullRequest.calls).toHaveLength(2);
    expect(name).toBe(error.name);
  });

  it('does not retry an error that needs a human (GitHubAuthFailed) and notifies once', async () => {
    // Prepare
    const openPullRequest = sequence(new errors.GitHubAuthFailed('the app lacks Workflows write permission'));

    // Act
    const run = await runOnboarding(createAccountResult, {
      resolveAccount: sequence(onboard),
      ensureCicdRole: sequence(role),
      openPullRequest,
    });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'GitHubAuthFailed' });
    expect(openPullRequest.calls).toHaveLength(1);
    expect(run.notifications).toHaveLength(1);
    expect(run.notifications[0]?.Message).toContain('the app lacks Workflows write permission');
  });

  it('notifies and fails on an unexpected error, keeping its name', async () => {
    // Prepare
    const ensureCicdRole = sequence(new TypeError("Cannot read properties of undefined (reading 'Arn')"));

    // Act
    const run = await runOnboarding(createAccountResult, { resolveAccount: sequence(onboard), ensureCicdRole });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'TypeError' });
    expect(ensureCicdRole.calls).toHaveLength(1);
    expect(run.notifications[0]?.Subject).toBe('AWS account onboarding failed for 012345678901: TypeError');
    expect(run.notifications[0]?.Message).toContain("reading 'Arn'");
  });

  it('still fails with the step error when the notification itself cannot be sent', async () => {
    // Prepare
    const publish = sequence(Object.assign(new Error('topic gone'), { name: 'States.TaskFailed' }));

    // Act
    const run = await runOnboarding(
      { accountId: 'nope' },
      { resolveAccount: sequence(new errors.InvalidInput('accountId must be 12 digits')), publish },
    );

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(publish.calls).toHaveLength(4);
    expect(run.states.at(-1)).toBe('Failed');
  });

  it('notifies when resolve-account returns an unknown decision instead of failing silently', async () => {
    // Act
    const run = await runOnboarding({ accountId: '012345678901' }, { resolveAccount: sequence({ decision: 'maybe' }) });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'States.NoChoiceMatched' });
    expect(run.notifications[0]?.Message).toContain('{"decision":"maybe"}');
  });
});

describe('onboard-account definition', () => {
  const definition = readDefinition(ONBOARD_ACCOUNT_ASL);
  const states = Object.entries(definition.States);
  // Instances, not class names: `name` is what a thrown error carries and what ErrorEquals matches.
  const errorClassNames = Object.values(errors).flatMap((value) =>
    typeof value === 'function' && value.prototype instanceof errors.OnboardingError
      ? [new (value as unknown as new (message: string) => Error)('probe').name]
      : [],
  );

  it('matches only error names that exist in functions/lib/errors.ts, States.* or Lambda.*', () => {
    // Prepare
    const matched = states.flatMap(([, state]) =>
      'Retry' in state || 'Catch' in state
        ? [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((r) => r.ErrorEquals)
        : [],
    );

    // Act
    const unknown = matched.filter((name) => !/^(States|Lambda)\./.test(name) && !errorClassNames.includes(name));

    // Assess
    expect(errorClassNames).toContain('AccountNotReady');
    expect(unknown).toEqual([]);
  });

  it('catches every error of every Task and routes it through a notification', () => {
    // Prepare
    const tasks = states.filter(([, state]) => state.Type === 'Task');

    // Act
    const uncaught = tasks
      .filter(([, state]) => !('Catch' in state && state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'))))
      .map(([name]) => name);
    const notifies = tasks.filter(([, s]) => 'Resource' in s && /:states:::sns:publish$/.test(String(s.Resource)));

    // Assess
    expect(uncaught).toEqual([]);
    expect(notifies.map(([name]) => name).sort()).toEqual(['NotifyAccountFailure', 'NotifyInputFailure']);
    for (const [, notify] of notifies) {
      expect('Catch' in notify && notify.Catch?.map((c) => c.Next)).toEqual(['Failed']);
    }
  });

  it('shows the input in a notification only after errors resolve-account raises once it accepted the input', () => {
    // Prepare
    const resolve = definition.States.ResolveAccount as { Catch: Array<{ ErrorEquals: string[]; Next: string }> };
    const declared = Object.keys(RETRY_CONTRACT['resolve-account'].throws);

    // Act
    const shown = resolve.Catch.filter((c) => c.Next === 'ShowInput').flatMap((c) => c.ErrorEquals);

    // Assess: input checks (InvalidInput) and configuration (ConfigError, before the input is read) never show it
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((e) => !declared.includes(e) || e === 'InvalidInput' || e === 'ConfigError')).toEqual([]);
    expect(resolve.Catch.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'OmitInput' });
  });

  it('uses exactly the substitutions the CDK stack provides', () => {
    expect(definitionPlaceholders(ONBOARD_ACCOUNT_ASL)).toEqual(Object.keys(ONBOARD_ACCOUNT_SUBSTITUTIONS).sort());
  });
});
