/**
 * `doctor`: the prerequisites of a deploy and of every onboarding, checked read-only with the operator's credentials
 * against the real accounts and GitHub (or the stand-ins): one line per prerequisite, pass or fail, and the fix.
 * Nothing is written anywhere; exit code 1 when anything fails.
 *
 * What it reads (one module per check under bin/doctor/): CloudTrail (a trail delivering management events in
 * us-east-1, without which EventBridge never sees CreateAccount), the GitHub secret, what GitHub tells of the
 * credentials' permissions on the repository, the workflow and its matrix, the member access role in a sample of
 * accounts, the service control policies on a sample account's path (simulated against the IAM calls an onboarding
 * makes there, with @cloud-copilot/iam-simulate), and the deployed state machines.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { GitHubCredentials } from '../functions/lib/github-client';
import {
  CHECKS,
  type CheckId,
  type CheckResult,
  type CheckStatus,
  type Context,
  errorText,
  fail,
  HOME_REGION,
  type Outcome,
  skip,
} from './doctor/checks';
import { checkCloudTrail } from './doctor/cloudtrail';
import { checkDeployment } from './doctor/deployment';
import { checkGitHubPermissions, checkSecret } from './doctor/github';
import { checkMemberAccess, sampleAccounts } from './doctor/members';
import { checkServiceControlPolicies } from './doctor/scp';
import { checkWorkflow } from './doctor/workflow';
import {
  awsClientConfig,
  CliError,
  EXIT,
  type ExitCode,
  type GlobalOptions,
  type Io,
  loadConfig,
  Output,
} from './shared';

export { CHECKS, type CheckId, type CheckResult, type CheckStatus } from './doctor/checks';

export async function runDoctor(context: Context): Promise<CheckResult[]> {
  const { config, options } = context;
  const guard = (check: () => Promise<Outcome>) =>
    check().catch((error: unknown) =>
      fail(errorText(error), 'check the credentials (management account) and the network, then run doctor again'),
    );
  const organizations = new OrganizationsClient(awsClientConfig(options, HOME_REGION));
  const secret = checkSecret(context);
  const sample = sampleAccounts(context, organizations);
  const needsSecret = (check: (credentials: GitHubCredentials) => Promise<Outcome>) =>
    secret.then(({ credentials }) =>
      credentials ? guard(() => check(credentials)) : skip('needs the GitHub secret (see above)'),
    );
  const access: Promise<Outcome & { accessRole?: string }> = sample.then(
    (accounts) => guard(() => checkMemberAccess(context, accounts)),
    (error: unknown) => fail(errorText(error), 'use credentials of the management account that may list its accounts'),
  );
  const outcomes: Record<CheckId, Promise<Outcome>> = {
    cloudtrail: guard(() => checkCloudTrail(context)),
    secret: secret.then((s) => s.outcome),
    'github-permissions': needsSecret((c) => checkGitHubPermissions(context, c)),
    workflow: needsSecret((c) => checkWorkflow(context, c)),
    'member-access': access.then(({ accessRole: _, ...outcome }) => outcome),
    scp: Promise.all([sample, access]).then(
      ([accounts, accessOutcome]) => {
        const role = accessOutcome.accessRole ?? config.memberAccessRoleNames[0] ?? '';
        return guard(() => checkServiceControlPolicies(context, organizations, accounts[0], role));
      },
      () => skip('needs the list of accounts (see above)'),
    ),
    deployment: guard(() => checkDeployment(context)),
  };
  const results: CheckResult[] = [];
  for (const id of Object.keys(CHECKS) as CheckId[]) {
    results.push({ id, title: CHECKS[id], ...(await outcomes[id]) });
  }
  return results;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

export async function doctorCommand(flags: { sample: string }, options: GlobalOptions, io: Io): Promise<ExitCode> {
  const sample = Number(flags.sample);
  if (!Number.isInteger(sample) || sample < 1 || sample > 20) {
    throw new CliError(`--sample expects a whole number from 1 to 20, got "${flags.sample}"`, EXIT.usage);
  }
  const config = loadConfig(options, io);
  const out = new Output(io, options.json);
  const checks = await runDoctor({ config, options, io, sample });
  const ok = checks.every((c) => c.status !== 'fail');
  out.document({ ok, checks });
  for (const c of checks) {
    out.line(`${MARK[c.status]}  ${c.title}: ${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`);
  }
  out.line();
  out.line(
    ok ? 'Every prerequisite is met.' : `${checks.filter((c) => c.status === 'fail').length} prerequisite(s) not met.`,
  );
  return ok ? EXIT.ok : EXIT.failed;
}
