import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../functions/lib/config';
import { GitHubOidcAccess } from './constructs/github-oidc-access';
import { TerraformStateBucket } from './constructs/terraform-state-bucket';
import type { ToolingConfig } from './tooling-config';

export interface ToolingStackProps extends StackProps {
  readonly config: OnboardingConfig;
  readonly tooling: ToolingConfig;
}

/**
 * Optional: deploys into the tooling account (in the Terraform region) what the onboarded accounts rely on:
 * the GitHub OIDC provider, the pipeline role every cicd role trusts, and the Terraform state bucket.
 */
export class ToolingStack extends Stack {
  readonly access: GitHubOidcAccess;
  readonly state: TerraformStateBucket;

  constructor(scope: Construct, id: string, props: ToolingStackProps) {
    super(scope, id, props);
    const { config, tooling } = props;
    this.access = new GitHubOidcAccess(this, 'GitHub', {
      subjects: tooling.github,
      pipelineRoleName: config.pipelineRoleName,
      pipelineRolePath: config.pipelineRolePath,
      cicdRoleName: config.cicdRoleName,
      cicdRolePath: config.cicdRolePath,
      organizationId: tooling.organizationId,
      existingProviderArn: tooling.oidcProviderArn,
    });
    this.state = new TerraformStateBucket(this, 'TerraformState', {
      bucketName: config.terraform.stateBucket,
      stateKeyPrefix: config.terraform.stateKeyPrefix,
      useLockfile: config.terraform.useLockfile,
      lockTableName: config.terraform.lockTable,
    });
    this.state.grantStateAccess(this.access.pipelineRole);

    new CfnOutput(this, 'PipelineRoleArn', {
      description: 'role-to-assume for aws-actions/configure-aws-credentials',
      value: this.access.pipelineRole.roleArn,
    });
    new CfnOutput(this, 'OidcProviderArn', { value: this.access.providerArn });
    new CfnOutput(this, 'StateBucketName', { value: this.state.bucket.bucketName });
  }
}
