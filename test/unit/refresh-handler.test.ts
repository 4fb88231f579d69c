import type { Octokit } from '@octokit/rest';
import { InvalidInput } from '../../functions/lib/errors';
import { memoryRefreshState } from '../../functions/lib/refresh';
import { makeHandler } from '../../functions/refresh/handler';
import { testConfig } from '../support/ensure-cicd-role-fixtures';

/** The refresh handler's input: what it refuses before any request, and a batch request that is not there. */
describe('refresh handler', () => {
  const requested: string[] = [];
  const handler = makeHandler({
    config: testConfig(),
    state: memoryRefreshState(),
    // Every GitHub call would go through this client: none may be made.
    github: async () => {
      requested.push('github');
      return {} as Octokit;
    },
    readAccount: async () => {
      throw new Error('not read');
    },
    readBatchRequest: async (key) => {
      requested.push(`s3:${key}`);
      return undefined;
    },
  });

  beforeEach(() => requested.splice(0));

  it('refuses a bad when, force or batches key as InvalidInput naming the field, before any request', async () => {
    await expect(handler({ when: 'always' })).rejects.toThrow(
      /refresh got an event it does not accept: when: expected/,
    );
    await expect(handler({ force: ['12345'] })).rejects.toThrow(/force\.0: expected a 12-digit account id/);
    await expect(handler({ render: true, batches: '../secrets.json' })).rejects.toThrow(
      /batches: expected "runs\/<run>\/remediation-batches.json"/,
    );
    expect(requested).toEqual([]);
  });

  it('fails a batch request the reconcile bucket does not hold as InvalidInput, before any GitHub request', async () => {
    const run = handler({ render: true, batches: 'runs/reconcile-1/remediation-batches.json' });
    await expect(run).rejects.toBeInstanceOf(InvalidInput);
    await expect(run).rejects.toThrow(/is not in the reconcile bucket.*Nothing was written/);
    expect(requested).toEqual(['github', 's3:runs/reconcile-1/remediation-batches.json']);
  });
});
