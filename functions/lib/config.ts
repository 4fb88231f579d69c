import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * The one configuration of the product, read by the CDK app at synth and handed to every function
 * as JSON in the `ONBOARDING_CONFIG` environment variable. Defaults come from the seed article.
 */

const accountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id as a string, e.g. "012345678901"');
const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name: 1-64 of letters, digits and +=,.@_-');
const rolePath = z.string().regex(/^\/([\x21-\x7e]{0,510}\/)?$/, 'an IAM path starting and ending with "/"');
const policyArn = z
  .string()
  .regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'an IAM managed policy ARN');
const repoPath = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.endsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..'),
    {
      message: 'a relative path inside the repository, without leading or trailing "/" and without "." or ".." parts',
    },
  );
const githubName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a GitHub owner or repository name');
const tag = z.object({ key: z.string().min(1).max(128), value: z.string().max(256) });

export const githubAuthSchema = z.discriminatedUnion('type', [
  z.object({
    /** A GitHub App installation (preferred). The secret holds `{"appId","privateKey","installationId"}`. */
    type: z.literal('app'),
    secretArn: z.string().min(1),
  }),
  z.object({
    /** A fine-grained token. The secret holds `{"token"}` or the bare token string. */
    type: z.literal('token'),
    secretArn: z.string().min(1),
  }),
]);

export const configSchema = z.object({
  /** The account that holds the GitHub OIDC provider and the pipeline role. */
  toolingAccountId: accountId,
  /** The management account; accounts equal to it are never onboarded. Defaults to the stack's account. */
  managementAccountId: accountId.optional(),
  /** The role GitHub Actions assumes in the tooling account (trusted by every cicd role). */
  pipelineRoleName: roleName.default('GitHubAction-AssumeRoleWithAction'),
  pipelineRolePath: rolePath.default('/'),
  /** The role created in every workload account. */
  cicdRoleName: roleName.default('cicd'),
  cicdRolePath: rolePath.default('/'),
  /** `sts:ExternalId` the Terraform provider passes as `external_id`; not a secret. */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'an external id: 2-1224 of letters, digits and +=,.@:/-')
    .optional(),
  /** Roles tried in order to get into a member account. */
  memberAccessRoleNames: z
    .array(roleName)
    .min(1)
    .default(['OrganizationAccountAccessRole', 'AWSControlTowerExecution']),
  cicdPolicyArns: z.array(policyArn).min(1).max(20).default(['arn:aws:iam::aws:policy/AdministratorAccess']),
  permissionsBoundaryArn: policyArn.optional(),
  cicdMaxSessionDurationSeconds: z.number().int().min(3600).max(43200).default(3600),
  /** Take over an existing cicd role that lacks the managed tag (otherwise RoleNotManaged). */
  adoptExistingRole: z.boolean().default(false),
  managedTag: tag.default({ key: 'managed-by', value: 'oidc-account-onboarding' }),
  github: z.object({
    owner: githubName,
    repo: githubName,
    /** REST API base, e.g. `https://github.example.com/api/v3` for GitHub Enterprise Server. */
    apiUrl: z.url().default('https://api.github.com'),
    baseBranch: z.string().min(1).default('main'),
    workflowPath: repoPath.default('.github/workflows/tf-cicd-aws.yml'),
    /** The matrix key that lists account folders. */
    matrixKey: z
      .string()
      .regex(/^[A-Za-z_][\w-]*$/, 'a matrix key such as "dir"')
      .default('dir'),
    accountsDir: repoPath.default('aws-accounts'),
    branchPrefix: z
      .string()
      .regex(/^[\w./-]+\/$/, 'a branch prefix ending in "/", e.g. "onboarding/"')
      .default('onboarding/'),
    labels: z.array(z.string().min(1).max(50)).default([]),
    reviewers: z.array(z.string().min(1)).default([]),
    teamReviewers: z.array(z.string().min(1)).default([]),
    auth: githubAuthSchema,
    /**
     * Space content-creating requests as GitHub asks (Octokit's throttling plugin: writes 1 s apart, PRs 3 s).
     * Turn off only against an emulator; rate limits are then retried by the state machine alone.
     */
    pacing: z.boolean().default(true),
  }),
  terraform: z
    .object({
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as "eu-central-1"')
        .default('eu-central-1'),
      stateBucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
        .default('tf-build-terraform-state'),
      /** S3 native locking (Terraform >= 1.10). */
      useLockfile: z.boolean().default(true),
      /** DynamoDB lock table for older Terraform; omitted when useLockfile is on and this is unset. */
      lockTable: z
        .string()
        .regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name')
        .optional(),
      stateKeyPrefix: z
        .string()
        .regex(/^[\w./-]*$/, 'an S3 key prefix')
        .default(''),
      terraformVersion: z
        .string()
        .regex(/^\d+\.\d+(\.\d+)?$/, 'a Terraform version such as "1.11.0"')
        .default('1.11.0'),
    })
    // Every field has a default (README "Configure"): a configuration without a terraform block gets them all.
    .prefault({}),
  filters: z
    .object({
      excludeAccountIds: z.array(accountId).default([]),
      /** OU ids (`ou-…`) whose accounts (at any depth) are skipped. */
      excludeOuIds: z
        .array(
          z
            .string()
            .regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'an OU id such as "ou-ab12-cd34ef56"'),
        )
        .default([]),
      /** Accounts carrying any of these tags are skipped (value `*` matches any value). */
      excludeTags: z.array(tag).default([]),
    })
    .default({ excludeAccountIds: [], excludeOuIds: [], excludeTags: [] }),
  /** Onboard accounts created through Control Tower's Account Factory too. */
  controlTower: z.object({ enabled: z.boolean().default(false) }).default({ enabled: false }),
  reconcile: z
    .object({
      schedule: z
        .string()
        .regex(/^(rate|cron)\(.+\)$/, 'an EventBridge Scheduler expression such as "rate(1 day)"')
        .default('rate(1 day)'),
      mode: z.enum(['report', 'remediate']).default('report'),
      /** Onboarding executions started per reconcile run at most. */
      remediationBudget: z.number().int().min(0).max(500).default(20),
      concurrency: z.number().int().min(1).max(40).default(10),
    })
    .default({ schedule: 'rate(1 day)', mode: 'report', remediationBudget: 20, concurrency: 10 }),
  /**
   * The scheduled refresh of the tool's own onboarding pull requests (functions/refresh): `when` is Renovate's
   * `rebaseWhen`: `conflicted` regenerates those GitHub reports as not mergeable, `behind-base` every one not on the
   * current base.
   */
  refresh: z
    .object({
      enabled: z.boolean().default(true),
      schedule: z
        .string()
        .regex(/^(rate|cron)\(.+\)$/, 'an EventBridge Scheduler expression such as "rate(10 minutes)"')
        .default('rate(10 minutes)'),
      when: z
        .enum(['conflicted', 'behind-base'], { error: 'one of "conflicted", "behind-base"' })
        .default('conflicted'),
    })
    .prefault({}),
  /** The "Account onboarding dashboard" issue in the Terraform repository, kept by each refresh (needs Issues: write). */
  dashboard: z.object({ enabled: z.boolean().default(true) }).prefault({}),
  /** Closed and removed accounts (functions/offboard-account): one pull request per account on `<branchPrefix><id>`. */
  offboarding: z
    .object({
      /** Deploy the offboard-account workflow (its rules, functions and state machine). */
      enabled: z.boolean().default(false),
      /** Also remove the account's folder (only one whose terraform.tfvars names the account); else only its matrix entry. */
      removeFolder: z.boolean().default(false),
      branchPrefix: z
        .string()
        .regex(/^[\w./-]+\/$/, 'a branch prefix ending in "/", e.g. "offboarding/"')
        .default('offboarding/'),
    })
    .default({ enabled: false, removeFolder: false, branchPrefix: 'offboarding/' }),
  notifications: z.object({ emails: z.array(z.email()).default([]) }).default({ emails: [] }),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
});

export type OnboardingConfig = z.output<typeof configSchema>;
export type OnboardingConfigInput = z.input<typeof configSchema>;

/** Validates a raw configuration; the error names every bad field and what was expected. */
export function parseConfig(raw: unknown, source = 'configuration'): OnboardingConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid ${source}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads the configuration a function was deployed with. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): OnboardingConfig {
  const raw = env.ONBOARDING_CONFIG;
  if (!raw) throw new ConfigError('ONBOARDING_CONFIG is not set: the function expects its configuration as JSON there');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ONBOARDING_CONFIG is not valid JSON');
  }
  return parseConfig(parsed, 'ONBOARDING_CONFIG');
}

export const pipelineRoleArn = (c: OnboardingConfig, partition = 'aws'): string =>
  `arn:${partition}:iam::${c.toolingAccountId}:role${c.pipelineRolePath}${c.pipelineRoleName}`;
