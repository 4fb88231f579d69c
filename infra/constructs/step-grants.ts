import {
  Aws,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_secretsmanager as secretsmanager,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';

/**
 * The grants that more than one Lambda step needs, each with its cdk-nag acknowledgements on the step's role: reading
 * this organization's accounts and OUs, assuming the member access roles, reading the GitHub secret.
 */

/** `arn:<partition>:organizations::<management account>:<resource>`. */
export function organizationsArn(config: OnboardingConfig, resource: string): string {
  return `arn:${Aws.PARTITION}:organizations::${config.managementAccountId ?? Aws.ACCOUNT_ID}:${resource}`;
}

/** Acknowledges the organization-id wildcards of Organizations resources (`account/o-*\/*`, `ou/o-*\/ou-*`, …). */
export function acknowledgeOrganizationsResources(
  fn: lambda.IFunction,
  config: OnboardingConfig,
  resources: readonly string[],
): void {
  const account = config.managementAccountId ?? '<AWS::AccountId>';
  for (const resource of resources) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${account}:${resource}]`,
      reason:
        'Organizations ARNs embed the organization id, unknown at synth; they are pinned to this management account and the actions are read-only.',
    });
  }
}

/**
 * Read-only Organizations access to this organization's accounts and OUs, as functions/lib/organization.ts
 * readAccount reads an account (name, email, OU path, tags), and with `createAccountStatus` to CreateAccount requests.
 */
export function grantOrganizationsRead(
  fn: lambda.IFunction,
  config: OnboardingConfig,
  { createAccountStatus = false }: { createAccountStatus?: boolean } = {},
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadAccounts',
      actions: ['organizations:DescribeAccount', 'organizations:ListParents', 'organizations:ListTagsForResource'],
      resources: [organizationsArn(config, 'account/o-*/*')],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadOrganizationalUnits',
      actions: ['organizations:DescribeOrganizationalUnit', 'organizations:ListParents'],
      resources: [organizationsArn(config, 'ou/o-*/ou-*')],
    }),
  );
  if (createAccountStatus) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadCreateAccountStatus',
        actions: ['organizations:DescribeCreateAccountStatus'],
        resources: ['*'],
      }),
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Organizations DescribeCreateAccountStatus has no resource-level permissions.',
    });
  }
  acknowledgeOrganizationsResources(fn, config, ['account/o-*/*', 'ou/o-*/ou-*']);
}

/** AssumeRole into the configured member access roles of any account, as long as it is in this organization. */
export function grantAssumeMemberAccessRoles(fn: lambda.IFunction, config: OnboardingConfig): void {
  const names = config.memberAccessRoleNames;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'AssumeMemberAccessRoles',
      actions: ['sts:AssumeRole'],
      resources: names.map((name) => `arn:${Aws.PARTITION}:iam::*:role/${name}`),
      // The role must belong to the organization of the calling role (IAM policy variable, resolved by IAM).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript template
      conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
    }),
  );
  for (const name of names) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${name}]`,
      reason:
        'Member accounts are not known at synth: the function may assume only the named member access roles, and only in accounts of this organization (aws:ResourceOrgID condition); IAM reads happen through that role.',
    });
  }
}

/**
 * Lets the function read the GitHub secret, given by complete ARN (with the 6-character suffix) or partial ARN
 * (without it). The imported secret is `GitHubSecret` in `scope`, imported once however many functions read it.
 */
export function grantGitHubSecretRead(scope: Construct, fn: lambda.IFunction, config: OnboardingConfig): void {
  const arn = config.github.auth.secretArn;
  const imported = scope.node.tryFindChild('GitHubSecret') as secretsmanager.ISecret | undefined;
  const secret =
    imported ??
    (/-[A-Za-z0-9]{6}$/.test(arn)
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'GitHubSecret', arn)
      : secretsmanager.Secret.fromSecretPartialArn(scope, 'GitHubSecret', arn));
  secret.grantRead(fn);
}
