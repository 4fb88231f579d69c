import { IAMServiceException, NoSuchEntityException } from '@aws-sdk/client-iam';
import { isAccessDenied, isNoSuchEntity, isThrottling, rethrowAws } from '../../functions/lib/aws-errors';
import { AwsThrottled } from '../../functions/lib/errors';

const sdkError = (name: string, httpStatusCode = 400) =>
  new IAMServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode } });

describe('AWS error classification', () => {
  it.each(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'])(
    'sees %s as throttling',
    (name) => {
      expect(isThrottling(sdkError(name))).toBe(true);
    },
  );

  it('sees an HTTP 429 without a known code as throttling', () => {
    expect(isThrottling(sdkError('SomethingNew', 429))).toBe(true);
  });

  it('does not see an IAM quota (LimitExceeded) as throttling: waiting does not fix it', () => {
    expect(isThrottling(sdkError('LimitExceededException', 409))).toBe(false);
  });

  it('recognises modelled and wire spellings of IAM and STS errors', () => {
    expect(isNoSuchEntity(new NoSuchEntityException({ message: 'gone', $metadata: {} }))).toBe(true);
    expect(isNoSuchEntity(sdkError('NoSuchEntity', 404))).toBe(true);
    expect(isAccessDenied(sdkError('AccessDenied', 403))).toBe(true);
    expect(isAccessDenied(new Error('AccessDenied'))).toBe(false);
    expect(isAccessDenied(undefined)).toBe(false);
  });

  it('rethrows throttling as AwsThrottled naming the call, and anything else unchanged', () => {
    expect(() => rethrowAws(sdkError('Throttling'), 'iam:GetRole of cicd')).toThrow(AwsThrottled);
    expect(() => rethrowAws(sdkError('Throttling'), 'iam:GetRole of cicd')).toThrow(
      /iam:GetRole of cicd \(Throttling\)/,
    );
    const denied = sdkError('AccessDenied', 403);
    expect(() => rethrowAws(denied, 'iam:GetRole')).toThrow(denied);
  });
});
