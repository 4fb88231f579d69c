import { Aws, aws_iam as iam, type aws_stepfunctions as sfn } from 'aws-cdk-lib';

/**
 * The role EventBridge rules start a state machine with, in place of the one the Step Functions target would create
 * (same construct path, `<state machine>/EventsRole`): its trust admits `events.amazonaws.com` only for rules of this
 * account and region (`aws:SourceAccount`, `aws:SourceArn`), so no other account's rule can use it (confused deputy).
 * The rules' own ARNs cannot be named: each rule's target names this role, so the role naming the rules would be a
 * circular dependency.
 */
export function eventsRoleOf(stateMachine: sfn.StateMachine): iam.Role {
  return new iam.Role(stateMachine, 'EventsRole', {
    description: 'Assumed by the EventBridge rules of this account that start the state machine',
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*` },
      },
    }),
  });
}
