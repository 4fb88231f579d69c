import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { INVITED_EVENT_PATTERNS, MOVED_EVENT_PATTERNS } from '../../functions/lib/lifecycle-events';
import { minimalConfig, nagViolations, synthOnboardingStack } from '../support/cdk';

const patternsOf = (template: ReturnType<typeof synthOnboardingStack>['template'], prefix: string) =>
  Object.entries(template.findResources('AWS::Events::Rule'))
    .filter(([id]) => id.startsWith(prefix))
    .map(([, r]) => (r as { Properties: { EventPattern: unknown } }).Properties.EventPattern);

describe('the invited and moved account workflows (invitations.enabled, moves.enabled)', () => {
  const { stack, template } = synthOnboardingStack({
    onboarding: {
      ...minimalConfig,
      invitations: { enabled: true, accessRoleWaitSeconds: [60, 120] },
      moves: { enabled: true },
      profiles: [
        { name: 'workloads', match: { ouPath: 'Workloads' } },
        { name: 'tagged', match: { tags: { team: '*' } }, templates: 'sandbox' },
      ],
    },
  });

  it('deploys one rule per event, each with its documented pattern', () => {
    expect(patternsOf(template, 'Invited')).toEqual(
      Object.values(INVITED_EVENT_PATTERNS).map((p) => JSON.parse(JSON.stringify(p))),
    );
    expect(patternsOf(template, 'Moved')).toEqual(
      Object.values(MOVED_EVENT_PATTERNS).map((p) => JSON.parse(JSON.stringify(p))),
    );
  });

  it('hands the wait schedule to the invited-account state machine and runs the onboarding functions', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const invited = Object.entries(machines).find(([id]) => id.startsWith('Invited'))?.[1] as {
      Properties: { DefinitionSubstitutions: Record<string, unknown> };
    };
    expect(invited.Properties.DefinitionSubstitutions).toMatchObject({
      AccessRoleWaitSeconds: '[60,120]',
      EnsureCicdRoleFunctionArn: expect.anything(),
    });
    // No new function: the three of the onboarding workflow, and their roles unchanged.
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => /^(Invited|Moved)/.test(id)),
    ).toEqual([]);
  });

  it('reports overlapping profiles as a warning', () => {
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('profiles\\[0\\] \\(workloads\\) and profiles\\[1\\] \\(tagged\\) overlap'),
    );
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it('is not deployed by default', () => {
    const { template: off } = synthOnboardingStack();
    expect(Object.keys(off.toJSON().Resources).filter((id) => /^(Invited|Moved)/.test(id))).toEqual([]);
  });
});

describe('profiles validated at synth', () => {
  it('fails on a templates folder that is not under templates/ (UnknownTemplatesFolder)', () => {
    expect(() =>
      synthOnboardingStack({
        onboarding: { ...minimalConfig, profiles: [{ name: 'x', match: { ouPath: 'A' }, templates: 'nope' }] },
      }),
    ).toThrow(expect.objectContaining({ name: 'UnknownTemplatesFolder' }));
  });

  it('fails on a profile an earlier one shadows (ProfileShadowed)', () => {
    expect(() =>
      synthOnboardingStack({
        onboarding: {
          ...minimalConfig,
          profiles: [
            { name: 'all-workloads', match: { ouPath: 'Workloads' } },
            { name: 'prod', match: { ouPath: 'Workloads/Prod' } },
          ],
        },
      }),
    ).toThrow(expect.objectContaining({ name: 'ProfileShadowed' }));
  });
});
