/** The deployment check: the onboarding and reconcile state machines exist and are active. */
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig, type CliError, regionOfArn, stateMachineArn } from '../shared';
import { type Context, errorText, fail, type Outcome, pass } from './checks';

export async function checkDeployment({ options, io }: Context): Promise<Outcome> {
  const found: string[] = [];
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const kind of ['onboarding', 'reconcile'] as const) {
    let arn: string;
    try {
      arn = stateMachineArn(kind, options, io);
    } catch (error) {
      problems.push(`no ${kind} state machine given`);
      fixes.push((error as CliError).message);
      continue;
    }
    try {
      const sfn = new SFNClient(awsClientConfig(options, regionOfArn(arn)));
      const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
      if (described.status && described.status !== 'ACTIVE') {
        problems.push(`${arn} is ${described.status}`);
        fixes.push('deploy the stacks again: npx cdk deploy --all');
      } else {
        found.push(`${kind} ${described.name}`);
      }
    } catch (error) {
      problems.push(`${arn}: ${errorText(error)}`);
      fixes.push(
        'deploy the stacks (npx cdk deploy --all) and use the OnboardingStateMachineArn / ReconcileStateMachineArn outputs of the OidcAccountOnboarding stack',
      );
    }
  }
  if (problems.length > 0) return fail(problems.join('; '), [...new Set(fixes)].join('; '));
  return pass(`state machines deployed: ${found.join(', ')}`);
}
