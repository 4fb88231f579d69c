import type { Node } from 'constructs';
import * as z from 'zod';
import type { OnboardingConfig } from '../functions/lib/config';
import { ConfigError } from '../functions/lib/errors';
import { assertNoWildcard, type GitHubSubjects } from './constructs/github-oidc-access';

/** CDK context key holding the tooling-account settings; the tooling stack is synthesised only when it is set. */
export const TOOLING_CONTEXT_KEY = 'tooling';

/** A branch or environment name as it appears in GitHub's `sub` claim; wildcards are refused later, by field name. */
const subjectPart = z.string().min(1).max(255);

/**
 * Values only the tooling-account stack needs. Everything shared with the onboarding stack (tooling account,
 * role names, GitHub repository, Terraform state) comes from the onboarding configuration.
 */
export const toolingConfigSchema = z.object({
  /** The organization whose accounts the pipeline role may assume the cicd role in. */
  organizationId: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'an AWS Organizations id such as "o-a1b2c3d4e5"'),
  /** Branches whose workflow runs may assume the pipeline role. @default [github.baseBranch] */
  allowedBranches: z.array(subjectPart).optional(),
  /** GitHub deployment environments whose jobs may assume the pipeline role. */
  allowedEnvironments: z.array(subjectPart).default([]),
  /** Let `pull_request` runs (any branch, any fork that may run workflows) assume the role: plan-only pipelines. */
  allowPullRequests: z.boolean().default(false),
  /**
   * An IAM OIDC provider for token.actions.githubusercontent.com that already exists in the tooling account
   * (an account holds at most one per URL). @default the stack creates it
   */
  oidcProviderArn: z
    .string()
    .regex(
      /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
      'the ARN of the token.actions.githubusercontent.com OIDC provider',
    )
    .optional(),
});

export type ToolingConfigInput = z.input<typeof toolingConfigSchema>;

/** The tooling settings with the GitHub subjects resolved and checked. */
export interface ToolingConfig {
  readonly organizationId: string;
  readonly oidcProviderArn?: string;
  readonly github: GitHubSubjects;
}

/**
 * Reads and validates context `tooling`; `undefined` when it is absent (the tooling stack is optional).
 * `-c tooling='{…}'` on the command line arrives as a JSON string.
 */
export function loadToolingConfig(node: Node, config: OnboardingConfig): ToolingConfig | undefined {
  const raw = node.tryGetContext(TOOLING_CONTEXT_KEY) as unknown;
  if (raw === undefined) return undefined;
  return parseToolingConfig(typeof raw === 'string' ? parseJson(raw) : raw, config);
}

/** Validates the tooling settings against the onboarding configuration; errors name the field. */
export function parseToolingConfig(raw: unknown, config: OnboardingConfig): ToolingConfig {
  const source = `context "${TOOLING_CONTEXT_KEY}"`;
  const result = toolingConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${TOOLING_CONTEXT_KEY}.${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid ${source}: ${problems.join('; ')}`);
  }
  const tooling = result.data;
  const github: GitHubSubjects = {
    owner: config.github.owner,
    repo: config.github.repo,
    branches: tooling.allowedBranches ?? [config.github.baseBranch],
    environments: tooling.allowedEnvironments,
    pullRequests: tooling.allowPullRequests,
  };
  assertNoWildcard(github.owner, 'github.owner');
  assertNoWildcard(github.repo, 'github.repo');
  for (const [i, branch] of github.branches.entries()) {
    assertNoWildcard(branch, tooling.allowedBranches ? `tooling.allowedBranches[${i}]` : 'github.baseBranch');
  }
  for (const [i, env] of github.environments.entries()) assertNoWildcard(env, `tooling.allowedEnvironments[${i}]`);
  if (github.branches.length === 0 && github.environments.length === 0 && !github.pullRequests) {
    throw new ConfigError(
      `Invalid ${source}: no GitHub subject may assume the pipeline role; list at least one of tooling.allowedBranches, tooling.allowedEnvironments or set tooling.allowPullRequests`,
    );
  }
  const providerAccount = tooling.oidcProviderArn?.split(':')[4];
  if (providerAccount !== undefined && providerAccount !== config.toolingAccountId) {
    throw new ConfigError(
      `tooling.oidcProviderArn is in account ${providerAccount}, but the pipeline role lives in toolingAccountId ${config.toolingAccountId}`,
    );
  }
  return { organizationId: tooling.organizationId, oidcProviderArn: tooling.oidcProviderArn, github };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`context "${TOOLING_CONTEXT_KEY}" is not valid JSON`);
  }
}
