import { Aws, Duration, aws_iam as iam, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConfigError } from '../../functions/lib/errors';

/** The issuer of GitHub Actions OIDC tokens. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` requests. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** What the `sub` claim of a GitHub Actions token may be: `repo:<owner>/<repo>:<context>`. */
export interface GitHubSubjects {
  readonly owner: string;
  readonly repo: string;
  /** Runs on these branches (`ref:refs/heads/<branch>`). */
  readonly branches: readonly string[];
  /** Jobs that reference these deployment environments (`environment:<env>`). */
  readonly environments: readonly string[];
  /** `pull_request` runs. */
  readonly pullRequests: boolean;
}

export interface GitHubOidcAccessProps {
  /** The workflow runs that may assume the pipeline role. */
  readonly subjects: GitHubSubjects;
  readonly pipelineRoleName: string;
  /** @default '/' */
  readonly pipelineRolePath?: string;
  /** The role the pipeline assumes in every workload account. */
  readonly cicdRoleName: string;
  /** @default '/' */
  readonly cicdRolePath?: string;
  /** Only cicd roles in accounts of this organization may be assumed. */
  readonly organizationId: string;
  /** An OIDC provider for token.actions.githubusercontent.com that already exists. @default one is created */
  readonly existingProviderArn?: string;
  /** @default one hour */
  readonly maxSessionDuration?: Duration;
}

/**
 * The GitHub OIDC identity provider and the pipeline role GitHub Actions assumes with it. The role trusts only
 * tokens for the exact repository subjects given, and may only assume the cicd role inside the organization.
 */
export class GitHubOidcAccess extends Construct {
  readonly providerArn: string;
  readonly pipelineRole: iam.Role;
  /** The exact `sub` claims the role trusts. */
  readonly subjectClaims: string[];

  constructor(scope: Construct, id: string, props: GitHubOidcAccessProps) {
    super(scope, id);
    this.subjectClaims = githubSubjectClaims(props.subjects);

    if (props.existingProviderArn) {
      this.providerArn = props.existingProviderArn;
    } else {
      // No thumbprints: IAM secures GitHub's issuer with its own trusted CA library.
      const provider = new iam.OidcProviderNative(this, 'Provider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIds: [GITHUB_OIDC_AUDIENCE],
        // Every pipeline role of the account federates through it; deleting the stack must not cut them off.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.providerArn = provider.oidcProviderArn;
    }

    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      roleName: props.pipelineRoleName,
      path: props.pipelineRolePath ?? '/',
      description: `Assumed by GitHub Actions of ${props.subjects.owner}/${props.subjects.repo} to reach the cicd roles`,
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(this.providerArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: this.subjectClaims,
        },
      }),
    });
    // Every cicd role trusts this role's ARN; a recreated role gets a new id and IAM rewrites those trusts.
    this.pipelineRole.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const cicdRoleArn = `arn:${Aws.PARTITION}:iam::*:role${props.cicdRolePath ?? '/'}${props.cicdRoleName}`;
    this.pipelineRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCicdRoleInOrganization',
        actions: ['sts:AssumeRole'],
        resources: [cicdRoleArn],
        conditions: { StringEquals: { 'aws:ResourceOrgID': props.organizationId } },
      }),
    );
    Validations.of(this.pipelineRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role${props.cicdRolePath ?? '/'}${props.cicdRoleName}]`,
      reason:
        'Accounts join the organization after deploy: the pipeline may assume only the named cicd role, and only in accounts of the configured organization (aws:ResourceOrgID condition).',
    });
  }
}

/**
 * The trust compares the `sub` claim with StringEquals, where `*` and `?` match only themselves; a wildcard is
 * also exactly what widens a GitHub trust to every branch or repository. Refuse it, naming the field.
 */
export function assertNoWildcard(value: string, field: string): void {
  if (/[*?]/.test(value)) {
    throw new ConfigError(
      `${field} is "${value}": wildcards (* or ?) are not allowed in the pipeline role's trust; list each exact name instead`,
    );
  }
}

/** The exact `sub` claims for the given subjects, branches first; rejects wildcards and an empty list. */
export function githubSubjectClaims(subjects: GitHubSubjects): string[] {
  assertNoWildcard(subjects.owner, 'subjects.owner');
  assertNoWildcard(subjects.repo, 'subjects.repo');
  for (const [i, branch] of subjects.branches.entries()) assertNoWildcard(branch, `subjects.branches[${i}]`);
  for (const [i, env] of subjects.environments.entries()) assertNoWildcard(env, `subjects.environments[${i}]`);
  const repo = `repo:${subjects.owner}/${subjects.repo}`;
  const claims = [
    ...subjects.branches.map((branch) => `${repo}:ref:refs/heads/${branch}`),
    ...subjects.environments.map((env) => `${repo}:environment:${env}`),
    ...(subjects.pullRequests ? [`${repo}:pull_request`] : []),
  ];
  if (claims.length === 0) {
    throw new ConfigError(
      'no GitHub subject may assume the pipeline role: give a branch, an environment or pull requests',
    );
  }
  return claims;
}
