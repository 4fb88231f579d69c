import { Match } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { minimalConfig, nagViolations, synthOnboardingStack } from '../support/cdk';

describe('the refresh workflow (refresh.enabled, the default)', () => {
  const { stack, template } = synthOnboardingStack();
  const resources = () => Object.keys(template.toJSON().Resources);

  it('schedules the refresh state machine every 10 minutes with {"when": "conflicted"}', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({
        Arn: Match.objectLike({ Ref: Match.stringLikeRegexp('^RefreshStateMachine') }),
        Input: JSON.stringify({ when: 'conflicted' }),
      }),
    });
  });

  it('gives the refresh function its bucket, the onboarding state machine and the dashboard drift', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Refresh:'),
      Environment: {
        Variables: Match.objectLike({
          REFRESH_BUCKET: Match.anyValue(),
          RECONCILE_BUCKET: Match.anyValue(),
          ONBOARDING_STATE_MACHINE_ARN: Match.anyValue(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Reconcile: reports'),
      Environment: { Variables: Match.objectLike({ REFRESH_STATE_MACHINE_ARN: Match.anyValue() }) },
    });
  });

  it('alarms on failed, timed-out and throttled refreshes like the other workflows', () => {
    const alarms = resources().filter((id) => id.startsWith('Refresh') && id.includes('Alarm'));
    expect(alarms.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'RefreshExecutionThrottledAlarm',
      'RefreshExecutionsFailedAlarm',
      'RefreshExecutionsTimedOutAlarm',
    ]);
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(nagViolations(stack)).toEqual([]);
  });

  it('takes refresh.schedule and refresh.when, and leaves the re-runs and the drift out without the dashboard', () => {
    const { template: custom } = synthOnboardingStack({
      onboarding: {
        ...minimalConfig,
        refresh: { schedule: 'rate(30 minutes)', when: 'behind-base' },
        dashboard: { enabled: false },
      },
    });
    custom.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
      Target: Match.objectLike({ Input: JSON.stringify({ when: 'behind-base' }) }),
    });
    const policies = JSON.stringify(custom.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('StartDashboardReruns');
    expect(policies).not.toContain('runs/dashboard-drift.json');
    // The report still hands a remediating sweep's batch pull requests to the refresh, which reads their request.
    expect(policies).toContain('StartRefresh');
    expect(policies).toContain('/runs/*/remediation-batches.json');
  });

  it('is not deployed with refresh.enabled false', () => {
    const { template: off } = synthOnboardingStack({ onboarding: { ...minimalConfig, refresh: { enabled: false } } });
    expect(Object.keys(off.toJSON().Resources).filter((id) => id.startsWith('Refresh'))).toEqual([]);
  });

  it('refuses an unknown refresh.when or schedule with a ConfigError naming the field', () => {
    expect(() => parseConfig({ ...minimalConfig, refresh: { when: 'always' } })).toThrow(ConfigError);
    expect(() => parseConfig({ ...minimalConfig, refresh: { when: 'always' } })).toThrow(
      /refresh\.when: one of "conflicted", "behind-base"/,
    );
    expect(() => parseConfig({ ...minimalConfig, refresh: { schedule: 'every 10 minutes' } })).toThrow(
      /refresh\.schedule: an EventBridge Scheduler expression/,
    );
    expect(parseConfig(minimalConfig)).toMatchObject({
      refresh: { enabled: true, schedule: 'rate(10 minutes)', when: 'conflicted' },
      dashboard: { enabled: true },
    });
  });
});
