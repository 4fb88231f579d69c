import { GitHubRateLimited, GitHubRequestRejected } from '../../functions/lib/errors';
import { type Json, lambdaInvoke, runStateMachine } from '../support/asl';

const FILE = 'state-machines/refresh.asl.json';
const SUBSTITUTIONS = {
  RefreshFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:refresh',
  TopicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
};

function machine(refresh: (event: unknown) => unknown) {
  const published: Json[] = [];
  const events: unknown[] = [];
  const byState = {
    Refresh: lambdaInvoke(async (event) => {
      events.push(event);
      return refresh(event) as Json;
    }),
    NotifyFailure: async (message: Json) => {
      published.push(message);
      return { MessageId: 'm-1' };
    },
  };
  return { byState, published, events };
}

describe('refresh state machine', () => {
  it('passes the schedule input to the refresh function and returns its result', async () => {
    // Prepare
    const m = machine(() => ({ outcome: 'idle', checked: 0, unknown: [], refreshed: [] }));

    // Act
    const { outcome } = await runStateMachine(FILE, SUBSTITUTIONS, m.byState, { when: 'behind-base' });

    // Assess
    expect(m.events).toEqual([{ when: 'behind-base' }]);
    expect(outcome).toEqual({
      status: 'SUCCEEDED',
      output: { outcome: 'idle', checked: 0, unknown: [], refreshed: [] },
    });
  });

  it('ends a run GitHub rate-limited as Deferred, without a notification: the next scheduled run is its retry', async () => {
    // Prepare
    const m = machine(() => {
      throw new GitHubRateLimited('secondary rate limit');
    });

    // Act
    const { outcome, states } = await runStateMachine(FILE, SUBSTITUTIONS, m.byState, {});

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(states).toContain('Deferred');
    expect(m.events).toHaveLength(1);
    expect(m.published).toEqual([]);
  });

  it('notifies the failure topic and fails on an error a person must fix', async () => {
    // Prepare
    const m = machine(() => {
      throw new GitHubRequestRejected('a repository rule refused the push');
    });

    // Act
    const { outcome } = await runStateMachine(FILE, SUBSTITUTIONS, m.byState, {});

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'GitHubRequestRejected' });
    expect(JSON.stringify(m.published)).toContain('a repository rule refused the push');
  });
});
