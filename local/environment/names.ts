/** The region, ARNs and execution names of the local environment, where the stack would give them in AWS. */
export const LOCAL_REGION = 'us-east-1';

export const randomSuffix = () => Math.random().toString(36).slice(2, 8);

export const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${name}`;

const stateMachineArn = (managementAccountId: string, name: string) =>
  `arn:aws:states:${LOCAL_REGION}:${managementAccountId}:stateMachine:${name}`;

/** The ARNs of the four state machines, as the stack names them in the management account. */
export function stateMachineArns(managementAccountId: string) {
  return {
    onboarding: stateMachineArn(managementAccountId, 'onboard-account'),
    reconcile: stateMachineArn(managementAccountId, 'reconcile'),
    offboarding: stateMachineArn(managementAccountId, 'offboard-account'),
    refresh: stateMachineArn(managementAccountId, 'refresh'),
  };
}
export type StateMachineArns = ReturnType<typeof stateMachineArns>;
