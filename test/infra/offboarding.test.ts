import { Match } from 'aws-cdk-lib/assertions';
import { DEPARTURE_EVENT_PATTERNS } from '../../functions/lib/departure';
import { minimalConfig, nagViolations, synthOnboardingStack } from '../support/cdk';

describe('the offboarding workflow (offboarding.enabled)', () => {
  const { stack, template } = synthOnboardingStack({
    onboarding: { ...minimalConfig, offboarding: { enabled: true } },
  });

  it('deploys one rule per departure event, each starting the offboard-account state machine', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.organizations'] } },
    });
    const patterns = Object.values(rules).map(
      (r) => (r as { Properties: { EventPattern: unknown } }).Properties.EventPattern,
    );
    for (const pattern of Object.values(DEPARTURE_EVENT_PATTERNS)) {
      expect(patterns).toContainEqual(JSON.parse(JSON.stringify(pattern)));
    }
  });

  it('gives the report function the offboarding state machine, and no function a role in member accounts', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OFFBOARDING_STATE_MACHINE_ARN: Match.anyValue() }) },
    });
    const policies = JSON.stringify(
      Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('Offboarding')),
    );
    expect(policies).not.toContain('sts:AssumeRole');
    expect(policies).not.toContain('iam:');
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it('is not deployed by default', () => {
    const { template: off } = synthOnboardingStack();
    expect(Object.keys(off.toJSON().Resources).filter((id) => id.startsWith('Offboarding'))).toEqual([]);
  });
});
