import {
  type CfnElement,
  Duration,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

const S3_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

export interface TerraformStateBucketProps {
  /** The bucket `backend.tf` names. */
  readonly bucketName: string;
  /** Prefix of every state key the pipeline writes (`<prefix><folder>/terraform.tfstate`). @default '' */
  readonly stateKeyPrefix?: string;
  /** S3 native locking (`use_lockfile`, Terraform >= 1.10): the pipeline deletes `<key>.tflock` objects. */
  readonly useLockfile: boolean;
  /** A DynamoDB lock table for older Terraform (`dynamodb_table`). @default none */
  readonly lockTableName?: string;
  /** How long server access logs are kept. @default one year */
  readonly accessLogRetention?: Duration;
}

/**
 * The S3 backend of the Terraform pipeline: a versioned, encrypted, private, SSL-only state bucket that survives
 * the stack, its server access logs, and the optional DynamoDB lock table.
 */
export class TerraformStateBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly lockTable?: dynamodb.TableV2;
  private readonly props: TerraformStateBucketProps;

  constructor(scope: Construct, id: string, props: TerraformStateBucketProps) {
    super(scope, id);
    this.props = props;
    // Grant log delivery with a bucket policy, not the LogDeliveryWrite ACL that ObjectOwnership forbids.
    this.node.setContext(S3_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // server access logging delivers only to SSE-S3 buckets
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the state bucket server access logs; logging it to itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      // Every state write is a version: a broken apply can be rolled back to the previous state.
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: `${props.bucketName}/`,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.lockTableName) {
      this.lockTable = new dynamodb.TableV2(this, 'LockTable', {
        tableName: props.lockTableName,
        // The key the S3 backend writes its locks under.
        partitionKey: { name: 'LockID', type: dynamodb.AttributeType.STRING },
        billing: dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
  }

  /** What the S3 backend needs to read, write and lock the states under the prefix, and nothing more. */
  grantStateAccess(role: iam.IRole): void {
    const prefix = this.props.stateKeyPrefix ?? '';
    const statements = [
      new iam.PolicyStatement({
        sid: 'ListStateBucket',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadWriteStates',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.bucket.arnForObjects(`${prefix}*`)],
      }),
    ];
    if (this.props.useLockfile) {
      // Unlocking deletes the lock file; states themselves are never deleted by plan or apply.
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReleaseStateLocks',
          actions: ['s3:DeleteObject'],
          resources: [this.bucket.arnForObjects(`${prefix}*.tflock`)],
        }),
      );
    }
    if (this.lockTable) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'LockTable',
          actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.lockTable.tableArn],
        }),
      );
    }
    for (const statement of statements) role.addToPrincipalPolicy(statement);
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    const objects = [`${prefix}*`, ...(this.props.useLockfile ? [`${prefix}*.tflock`] : [])];
    for (const pattern of objects) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
        reason:
          'One state per account folder, added as accounts join: objects are limited to the state key prefix, and deletes to the .tflock lock files.',
      });
    }
  }
}
