import type { Octokit } from '@octokit/rest';
import { GitHubAuthFailed } from '../../functions/lib/errors';
import { executionUrl, withGitHub } from '../../functions/lib/github-step';

const client = (name: string) => ({ name }) as unknown as Octokit;

describe('withGitHub: one GitHub client per container', () => {
  it('builds the client once, again after the factory failed, and again after GitHub refused the credentials', async () => {
    // Prepare
    let built = 0;
    const factory = jest.fn(async () => {
      built += 1;
      if (built === 1) throw new Error('secret not readable yet');
      return client(`client-${built}`);
    });
    const used: unknown[] = [];
    const use = (octokit: Octokit) => {
      used.push((octokit as unknown as { name: string }).name);
      return Promise.resolve('done');
    };

    // Act / Assess
    await expect(withGitHub(factory, use)).rejects.toThrow('secret not readable yet');
    await expect(withGitHub(factory, use)).resolves.toBe('done');
    await expect(withGitHub(factory, use)).resolves.toBe('done');
    await expect(
      withGitHub(factory, () => Promise.reject(new GitHubAuthFailed('Bad credentials'))),
    ).rejects.toBeInstanceOf(GitHubAuthFailed);
    await withGitHub(factory, use);
    expect(used).toEqual(['client-2', 'client-2', 'client-3']);
    expect(factory).toHaveBeenCalledTimes(3);
  });
});

describe('executionUrl', () => {
  it('links a Step Functions execution in its region, in any partition, and nothing else', () => {
    expect(executionUrl('arn:aws:states:eu-west-1:000000000000:execution:onboard-account:run-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:000000000000:execution:onboard-account:run-1',
    );
    expect(executionUrl('arn:aws-us-gov:states:us-gov-west-1:000000000000:execution:x:y')).toContain('us-gov-west-1');
    expect(executionUrl('not-an-arn')).toBeUndefined();
    expect(executionUrl(undefined)).toBeUndefined();
  });
});
