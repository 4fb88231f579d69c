import {
  Duration,
  aws_iam as iam,
  type aws_lambda as lambda,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CLAIM_RETENTION_DAYS } from '../../functions/lib/account-claim';

export interface AccountClaimsProps {
  /** The function that claims an account for its execution (resolve-account). */
  readonly claimant: lambda.Function;
}

/**
 * The bucket of the onboarding claims (functions/lib/account-claim.ts): one small object per account creation,
 * written with S3's conditional PutObject so that exactly one execution of the account's events makes writes.
 * A claim holds for its flow's window (8 h; 97 h for an invited account); the lifecycle removes it after
 * CLAIM_RETENTION_DAYS.
 */
export class AccountClaims extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccountClaimsProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(CLAIM_RETENTION_DAYS) }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds one claim object per account creation (expired after 5 days), written and read only by resolve-account; access is audited by CloudTrail.',
    });
    const { claimant } = props;
    claimant.addEnvironment('CLAIMS_BUCKET', this.bucket.bucketName);
    claimant.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AccountClaims',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects('claims/onboarding/*')],
      }),
    );
    const bucketId = Stack.of(this).resolve(Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket));
    Validations.of(claimant.role ?? claimant).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/claims/onboarding/*]`,
      reason: 'One claim per account, claims/onboarding/<account id>.json; the account is unknown at synth.',
    });
  }
}
