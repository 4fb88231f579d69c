import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import * as z from 'zod/mini';
import { type CicdRoleStepDeps, convergeAccountRole } from '../lib/cicd-role-step';
import { configFromEnv } from '../lib/config';
import { accountIdSchema, defineHandler, executionIdSchema } from '../lib/define-handler';
import { memberIamClients } from '../lib/member-account';
import { partitionOf } from '../lib/partition';
import type { RoleResult } from '../lib/types';

export type EnsureCicdRoleDeps = CicdRoleStepDeps;

const event = z.object({
  /** The account resolve-account selected; only its id is used: the function reads the account itself. */
  account: z.object(
    { accountId: accountIdSchema },
    { error: 'expected {"accountId": "012345678901", ...} with a 12-digit account id as a string' },
  ),
  /** Step Functions execution ARN: for the logs, and the member-account session's name. */
  executionId: executionIdSchema,
  /** What started the onboarding; `event` (an account-creation event) means the role is most likely missing. */
  trigger: z.optional(z.string()),
  /** An explicit re-run that overrides the configured filters (never the management or tooling account). */
  force: z.optional(z.unknown()),
  /** An invited account (state-machines/onboard-invited-account.asl.json): AccountNotAssumable until its role exists. */
  invited: z.optional(z.unknown()),
});
export type EnsureCicdRoleEvent = z.input<typeof event>;

// Created once per container: the management account's Organizations (served from us-east-1) and STS;
// member-account IAM clients are built per call and share one HTTP handler (memberIamClients).
const organizations = new OrganizationsClient({ region: 'us-east-1' });
const sts = new STSClient({});

/** Converges the cicd role of the account (created, adopted, trust, boundary and policies) in a narrowed session. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'ensure-cicd-role',
  event,
  deps: (): EnsureCicdRoleDeps => ({
    config: configFromEnv(),
    organizations,
    sts,
    iamFor: memberIamClients(),
    partition: partitionOf(process.env.AWS_REGION),
  }),
  logKeys: ({ account }) => ({ accountId: account.accountId }),
  run: ({ account, ...request }, deps): Promise<RoleResult> =>
    convergeAccountRole(deps, { ...request, accountId: account.accountId }),
});
