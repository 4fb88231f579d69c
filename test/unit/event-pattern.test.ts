import { matchesEventPattern } from '../../local/event-pattern';

const createAccountResult = {
  source: 'aws.organizations',
  'detail-type': 'AWS Service Event via CloudTrail',
  detail: { eventName: 'CreateAccountResult', serviceEventDetails: { createAccountStatus: { state: 'SUCCEEDED' } } },
};

describe('matchesEventPattern', () => {
  it('matches the exact source, detail type and event name of a rule', () => {
    const pattern = {
      source: ['aws.organizations'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: { eventName: ['CreateAccountResult'] },
    };
    expect(matchesEventPattern(createAccountResult, pattern)).toBe(true);
    expect(matchesEventPattern({ ...createAccountResult, source: 'aws.controltower' }, pattern)).toBe(false);
  });

  it('requires nested fields to be present', () => {
    expect(matchesEventPattern({ source: 'aws.organizations' }, { detail: { eventName: ['CreateAccount'] } })).toBe(
      false,
    );
  });

  it('supports prefix, anything-but, exists, wildcard and numeric operators', () => {
    const event = { source: 'aws.organizations', detail: { id: 'car-123', n: 5, list: ['a', 'b'] } };
    expect(matchesEventPattern(event, { detail: { id: [{ prefix: 'car-' }] } })).toBe(true);
    expect(matchesEventPattern(event, { detail: { id: [{ 'anything-but': ['car-123'] }] } })).toBe(false);
    expect(matchesEventPattern(event, { detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(matchesEventPattern(event, { detail: { id: [{ exists: true }] } })).toBe(true);
    expect(matchesEventPattern(event, { source: [{ wildcard: 'aws.*' }] })).toBe(true);
    expect(matchesEventPattern(event, { detail: { n: [{ numeric: ['>', 1, '<=', 5] }] } })).toBe(true);
    expect(matchesEventPattern(event, { detail: { n: [{ numeric: ['>', 5] }] } })).toBe(false);
    expect(matchesEventPattern(event, { detail: { list: ['b'] } })).toBe(true);
  });

  it('rejects operators it does not know instead of guessing', () => {
    expect(() => matchesEventPattern({ a: 'x' }, { a: [{ cidr: '10.0.0.0/8' }] })).toThrow(
      'Unsupported event pattern operator',
    );
  });
});
