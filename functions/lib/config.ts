import * as z from 'zod/mini';
import { ConfigError } from './errors';
import './zod';

/**
 * The one configuration of the product, read by the CDK app at synth and handed to every function
 * as JSON in the `ONBOARDING_CONFIG` environment variable. Defaults come from the seed article.
 */

const regex = (pattern: RegExp, message: string) => z.string().check(z.regex(pattern, message));
const accountId = regex(/^\d{12}$/, 'a 12-digit AWS account id as a string, e.g. "012345678901"');
const roleName = regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name: 1-64 of letters, digits and +=,.@_-');
const rolePath = regex(/^\/([\x21-\x7e]{0,510}\/)?$/, 'an IAM path starting and ending with "/"');
const policyArn = regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'an IAM managed policy ARN');
const repoPath = z.string().check(
  z.minLength(1),
  z.refine(
    (p) => !p.startsWith('/') && !p.endsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..'),
    {
      message: 'a relative path inside the repository, without leading or trailing "/" and without "." or ".." parts',
    },
  ),
);
const githubName = regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a GitHub owner or repository name');
const tag = z.object({
  key: z.string().check(z.minLength(1), z.maxLength(128)),
  value: z.string().check(z.maxLength(256)),
});
const nonEmpty = z.string().check(z.minLength(1));
const int = (min: number, max: number) => z.int().check(z.gte(min), z.lte(max));
const withDefault = z._default;

/** A profile (functions/lib/profiles.ts): matched by OU path (prefix of whole OUs) and/or tags; first match wins. */
const profileSchema = z.strictObject({
  name: z.string().check(
    z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a profile name: lowercase letters, digits and "-"'),
    z.refine((n) => n !== 'default', 'the name "default" is the top-level settings'),
  ),
  match: z
    .strictObject({
      /** OU names (or ids) from below the root, e.g. `Workloads/Prod`: that OU and every OU below it. */
      ouPath: z.optional(regex(/^\/?([^/]{1,128})(\/[^/]{1,128})*\/?$/, 'an OU path such as "Workloads/Prod"')),
      /** Every tag must be on the account (value `*` matches any value). */
      tags: z.optional(
        z.record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256))),
      ),
    })
    .check(z.refine((m) => m.ouPath !== undefined || m.tags !== undefined, 'set ouPath, tags, or both')),
  cicdPolicyArns: z.optional(z.array(policyArn).check(z.minLength(1), z.maxLength(20))),
  permissionsBoundaryArn: z.optional(policyArn),
  /** A subfolder of templates/ whose files replace (or add to) the default templates of the account folder. */
  templates: z.optional(regex(/^[A-Za-z0-9][\w.-]{0,63}$/, 'a subfolder name of templates/')),
  labels: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(50)))),
  reviewers: z.optional(z.array(nonEmpty)),
  teamReviewers: z.optional(z.array(nonEmpty)),
});

/** Waits for the access role of an invited account: 5 min growing to 12 h, about 28 h in all. */
export const DEFAULT_ACCESS_ROLE_WAITS = [300, 600, 1200, 2400, 3600, 7200, 14400, 28800, 43200];
/** The longest an invited account's onboarding waits for its access role (the state machine's timeout covers it). */
export const MAX_ACCESS_ROLE_WAIT_SECONDS = 48 * 3600;

export const githubAuthSchema = z.discriminatedUnion('type', [
  z.object({
    /** A GitHub App installation (preferred). The secret holds `{"appId","privateKey","installationId"}`. */
    type: z.literal('app'),
    secretArn: nonEmpty,
  }),
  z.object({
    /** A fine-grained token. The secret holds `{"token"}` or the bare token string. */
    type: z.literal('token'),
    secretArn: nonEmpty,
  }),
]);

export const configSchema = z.object({
  /** The account that holds the GitHub OIDC provider and the pipeline role. */
  toolingAccountId: accountId,
  /** The management account; accounts equal to it are never onboarded. Defaults to the stack's account. */
  managementAccountId: z.optional(accountId),
  /** The role GitHub Actions assumes in the tooling account (trusted by every cicd role). */
  pipelineRoleName: withDefault(roleName, 'GitHubAction-AssumeRoleWithAction'),
  pipelineRolePath: withDefault(rolePath, '/'),
  /** The role created in every workload account. */
  cicdRoleName: withDefault(roleName, 'cicd'),
  cicdRolePath: withDefault(rolePath, '/'),
  /** `sts:ExternalId` the Terraform provider passes as `external_id`; not a secret. */
  externalId: z.optional(regex(/^[\w+=,.@:/-]{2,1224}$/, 'an external id: 2-1224 of letters, digits and +=,.@:/-')),
  /** Roles tried in order to get into a member account. */
  memberAccessRoleNames: withDefault(z.array(roleName).check(z.minLength(1)), [
    'OrganizationAccountAccessRole',
    'AWSControlTowerExecution',
  ]),
  cicdPolicyArns: withDefault(z.array(policyArn).check(z.minLength(1), z.maxLength(20)), [
    'arn:aws:iam::aws:policy/AdministratorAccess',
  ]),
  permissionsBoundaryArn: z.optional(policyArn),
  cicdMaxSessionDurationSeconds: withDefault(int(3600, 43200), 3600),
  /** Take over an existing cicd role that lacks the managed tag (otherwise RoleNotManaged). */
  adoptExistingRole: withDefault(z.boolean(), false),
  managedTag: withDefault(tag, { key: 'managed-by', value: 'oidc-account-onboarding' }),
  github: z.object({
    owner: githubName,
    repo: githubName,
    /** REST API base, e.g. `https://github.example.com/api/v3` for GitHub Enterprise Server. */
    apiUrl: withDefault(z.url(), 'https://api.github.com'),
    baseBranch: withDefault(nonEmpty, 'main'),
    workflowPath: withDefault(repoPath, '.github/workflows/tf-cicd-aws.yml'),
    /** The matrix key that lists account folders. */
    matrixKey: withDefault(regex(/^[A-Za-z_][\w-]*$/, 'a matrix key such as "dir"'), 'dir'),
    accountsDir: withDefault(repoPath, 'aws-accounts'),
    branchPrefix: withDefault(
      regex(/^[\w./-]+\/$/, 'a branch prefix ending in "/", e.g. "onboarding/"'),
      'onboarding/',
    ),
    labels: withDefault(z.array(z.string().check(z.minLength(1), z.maxLength(50))), []),
    reviewers: withDefault(z.array(nonEmpty), []),
    teamReviewers: withDefault(z.array(nonEmpty), []),
    auth: githubAuthSchema,
    /**
     * Space content-creating requests as GitHub asks (Octokit's throttling plugin: writes 1 s apart, PRs 3 s).
     * Turn off only against an emulator; rate limits are then retried by the state machine alone.
     */
    pacing: withDefault(z.boolean(), true),
    /** Accounts per batch pull request (`cli backfill`). */
    batchSize: withDefault(
      z
        .number()
        .check(
          z.int('a whole number of accounts per batch pull request'),
          z.gte(1, 'at least 1 account per batch pull request'),
          z.lte(256, "at most 256 accounts per batch pull request (GitHub's matrix limit)"),
        ),
      50,
    ),
  }),
  // Every field has a default (README "Configure"): a configuration without a terraform block gets them all.
  terraform: z.prefault(
    z.object({
      region: withDefault(regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as "eu-central-1"'), 'eu-central-1'),
      stateBucket: withDefault(
        regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
        'tf-build-terraform-state',
      ),
      /** S3 native locking (Terraform >= 1.10). */
      useLockfile: withDefault(z.boolean(), true),
      /** DynamoDB lock table for older Terraform; omitted when useLockfile is on and this is unset. */
      lockTable: z.optional(regex(/^[\w.-]{3,255}$/, 'a DynamoDB table name')),
      stateKeyPrefix: withDefault(regex(/^[\w./-]*$/, 'an S3 key prefix'), ''),
      terraformVersion: withDefault(regex(/^\d+\.\d+(\.\d+)?$/, 'a Terraform version such as "1.11.0"'), '1.11.0'),
    }),
    {},
  ),
  filters: withDefault(
    z.object({
      excludeAccountIds: withDefault(z.array(accountId), []),
      /** OU ids (`ou-…`) whose accounts (at any depth) are skipped. */
      excludeOuIds: withDefault(
        z.array(regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'an OU id such as "ou-ab12-cd34ef56"')),
        [],
      ),
      /** Accounts carrying any of these tags are skipped (value `*` matches any value). */
      excludeTags: withDefault(z.array(tag), []),
      /** The tooling account gets a cicd role only when this is set (never by default, not even with `force`). */
      onboardToolingAccount: withDefault(z.boolean(), false),
    }),
    { excludeAccountIds: [], excludeOuIds: [], excludeTags: [], onboardToolingAccount: false },
  ),
  /** Onboard accounts created through Control Tower's Account Factory too. */
  controlTower: withDefault(z.object({ enabled: withDefault(z.boolean(), false) }), { enabled: false }),
  reconcile: withDefault(
    z.object({
      schedule: withDefault(
        regex(/^(rate|cron)\(.+\)$/, 'an EventBridge Scheduler expression such as "rate(1 day)"'),
        'rate(1 day)',
      ),
      mode: withDefault(z.enum(['report', 'remediate']), 'report'),
      /** Onboarding executions started per reconcile run at most. */
      remediationBudget: withDefault(int(0, 500), 20),
      concurrency: withDefault(int(1, 40), 10),
    }),
    { schedule: 'rate(1 day)', mode: 'report', remediationBudget: 20, concurrency: 10 },
  ),
  /**
   * The scheduled refresh of the tool's own onboarding pull requests (functions/refresh): `when` is Renovate's
   * `rebaseWhen`: `conflicted` regenerates those GitHub reports as not mergeable, `behind-base` every one not on the
   * current base.
   */
  refresh: z.prefault(
    z.object({
      enabled: withDefault(z.boolean(), true),
      schedule: withDefault(
        regex(/^(rate|cron)\(.+\)$/, 'an EventBridge Scheduler expression such as "rate(10 minutes)"'),
        'rate(10 minutes)',
      ),
      when: withDefault(
        z.enum(['conflicted', 'behind-base'], { error: 'one of "conflicted", "behind-base"' }),
        'conflicted',
      ),
    }),
    {},
  ),
  /** The "Account onboarding dashboard" issue in the Terraform repository, kept by each refresh (needs Issues: write). */
  dashboard: z.prefault(z.object({ enabled: withDefault(z.boolean(), true) }), {}),
  /** Closed and removed accounts (functions/offboard-account): one pull request per account on `<branchPrefix><id>`. */
  offboarding: withDefault(
    z.object({
      /** Deploy the offboard-account workflow (its rules, functions and state machine). */
      enabled: withDefault(z.boolean(), false),
      /** Also remove the account's folder (only one whose terraform.tfvars names the account); else only its matrix entry. */
      removeFolder: withDefault(z.boolean(), false),
      branchPrefix: withDefault(
        regex(/^[\w./-]+\/$/, 'a branch prefix ending in "/", e.g. "offboarding/"'),
        'offboarding/',
      ),
    }),
    { enabled: false, removeFolder: false, branchPrefix: 'offboarding/' },
  ),
  /** Per-OU profiles, matched in order; an account that matches none gets the top-level settings. */
  profiles: withDefault(
    z.array(profileSchema).check(
      z.maxLength(50),
      z.refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, 'profile names must be unique'),
    ),
    [],
  ),
  /** Invited accounts (AccountJoinedOrganization / AcceptHandshake of an INVITE): onboarded once an access role exists. */
  invitations: withDefault(
    z.object({
      enabled: withDefault(z.boolean(), false),
      /** Seconds between the attempts to assume a member access role, in order; then AccountNotAssumable. */
      accessRoleWaitSeconds: withDefault(
        z.array(int(60, 86400)).check(
          z.minLength(1),
          z.maxLength(20),
          z.refine(
            (w) => w.reduce((a, b) => a + b, 0) <= MAX_ACCESS_ROLE_WAIT_SECONDS,
            `the waits may add up to ${MAX_ACCESS_ROLE_WAIT_SECONDS} s (48 h) at most`,
          ),
        ),
        DEFAULT_ACCESS_ROLE_WAITS,
      ),
    }),
    { enabled: false, accessRoleWaitSeconds: DEFAULT_ACCESS_ROLE_WAITS },
  ),
  /** Moved accounts (MoveAccount): filters and profile evaluated again, the role converged, file differences reported. */
  moves: withDefault(z.object({ enabled: withDefault(z.boolean(), false) }), { enabled: false }),
  notifications: withDefault(z.object({ emails: withDefault(z.array(z.email()), []) }), { emails: [] }),
  logLevel: withDefault(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
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
