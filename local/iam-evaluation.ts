/**
 * IAM as deployed, on the embedded stand-in: each Lambda function of the synthesized stack gets its execution role in
 * the management account, with the role's policies exactly as synthesized (local/function-roles.ts), and runs with
 * a session of that role (local/lambda-credentials.ts), as Lambda runs it; the failure topic, its KMS key and the run
 * bucket get their synthesized resource policies. The stand-in then authorizes every call a function makes as AWS
 * would (local/aws/authorization.ts), so a missing permission fails here as it would once deployed.
 *
 * Lambda keeps each function's module state in that function's own containers. The TypeScript sources share one
 * module registry instead, and with it the GitHub client's credential cache (functions/lib/github-client.ts): so that a
 * function never uses a secret another function read (with its permission), the cache is dropped whenever an
 * invocation of another function starts. A function then reads the secret in each invocation that follows another
 * function's, which AWS would not always do but which proves its own permission every time. (The bundles of
 * `npm start` hold a copy of the module each, as in Lambda.) `coldStart` goes further: every function's next
 * invocation builds a new handler, as in a new container (a warm open-pull-request keeps its GitHub client).
 *
 * `setStatements` replaces the statements of a function role (the necessity test removes them one at a time); a
 * change applies to the next call, as IAM applies a policy change to existing sessions.
 */
import { randomUUID } from 'node:crypto';
import type { OnboardingConfig } from '../functions/lib/config';
import { forgetGitHubCredentials } from '../functions/lib/github-client';
import type { AuthorizationSettings } from './aws/authorization-settings';
import type { PolicyDocument, PolicyStatement } from './aws/policy';
import type { AwsStandIn } from './aws/server';
import { type FunctionName, type FunctionRole, synthesizeFunctionRoles } from './function-roles';
import { type LambdaRuntime, type SessionCredentials, withCredentials } from './lambda-runtime';

export interface IamEvaluation {
  /** The function roles as synthesized (policies resolved to the local resources). */
  roles: FunctionRole[];
  /** What the stand-in decided: denials in order, and which statements allowed which actions. */
  settings: AuthorizationSettings;
  /** Runs each invocation of a function as Lambda would: with its role's credentials. */
  runtime: LambdaRuntime;
  /** Starts every function cold: its next invocation builds a new handler (a new container) and reads secrets again. */
  coldStart(): void;
  /** The ARN of a function's role in the stand-in. */
  roleArn(functionName: FunctionName): string;
  /** Replaces the statements of one of the role's policies (default: its first); `restore` puts back the synthesized ones. */
  setStatements(functionName: FunctionName, statements: PolicyStatement[], policyName?: string): void;
  restore(): void;
}

export interface IamEvaluationResources {
  topicArn: string;
  bucket: string;
  claimsBucket: string;
  onboardingStateMachineArn: string;
  reconcileStateMachineArn: string;
  offboardingStateMachineArn: string;
  refreshStateMachineArn: string;
}

const LAMBDA_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** Creates the function roles and resource policies in the stand-in and answers how to run functions as them. */
export async function startIamEvaluation(
  standIn: AwsStandIn,
  config: OnboardingConfig,
  resources: IamEvaluationResources,
): Promise<IamEvaluation> {
  const { state, authorization: settings, region } = standIn;
  const accountId = state.managementAccountId;
  const synthesized = await synthesizeFunctionRoles(config, {
    accountId,
    region,
    keyArn: `arn:aws:kms:${region}:${accountId}:key/${randomUUID()}`,
    ...resources,
  });

  const sessions = new Map<string, SessionCredentials>();
  let lastInvoked: string | undefined;
  let generation = 0;
  const put = (role: FunctionRole, policies: Array<{ name: string; document: PolicyDocument }>) => {
    for (const policy of policies) state.putRolePolicy(accountId, role.roleName, policy.name, policy.document);
  };
  for (const role of synthesized.functions) {
    const existing = state.findRole(accountId, role.roleName);
    const created =
      existing ??
      state.createRole(accountId, {
        roleName: role.roleName,
        assumeRolePolicyDocument: LAMBDA_TRUST,
        description: `Execution role of the ${role.functionName} function`,
        maxSessionDuration: 43200,
      });
    put(role, role.policies);
    // Lambda names the session after the function.
    sessions.set(role.functionName, state.issueRoleSession(created, role.functionName, 43200));
  }
  for (const [arn, policy] of synthesized.resourcePolicies) settings.resourcePolicies.set(arn, policy);
  for (const [topicArn, keyArn] of synthesized.topicKeys) settings.topicKeys.set(topicArn, keyArn);

  const roleOf = (functionName: string): FunctionRole => {
    const role = synthesized.functions.find((r) => r.functionName === functionName);
    if (!role) throw new Error(`No synthesized role for the function ${functionName}`);
    return role;
  };
  return {
    roles: synthesized.functions,
    settings,
    runtime: {
      invoke: (functionName, invocation) => {
        const credentials = sessions.get(functionName);
        if (!credentials) throw new Error(`No synthesized role for the function ${functionName}`);
        if (lastInvoked !== functionName) forgetGitHubCredentials();
        lastInvoked = functionName;
        return withCredentials(credentials, invocation);
      },
      generation: () => generation,
    },
    coldStart: () => {
      generation += 1;
      lastInvoked = undefined;
    },
    roleArn: (functionName) => `arn:aws:iam::${accountId}:role/${roleOf(functionName).roleName}`,
    setStatements: (functionName, statements, policyName) => {
      const role = roleOf(functionName);
      const policy = role.policies.find((p) => policyName === undefined || p.name === policyName);
      if (!policy) throw new Error(`${role.roleName} has no policy ${policyName}`);
      if (statements.length === 0) state.deleteRolePolicy(accountId, role.roleName, policy.name);
      else state.putRolePolicy(accountId, role.roleName, policy.name, { ...policy.document, Statement: statements });
    },
    restore: () => {
      for (const role of synthesized.functions) {
        for (const name of [...(state.findRole(accountId, role.roleName)?.inline.keys() ?? [])]) {
          state.deleteRolePolicy(accountId, role.roleName, name);
        }
        put(role, role.policies);
      }
    },
  };
}
