/**
 * The service control policies check: the SCPs on a sample account's path, simulated (with
 * @cloud-copilot/iam-simulate) against the IAM calls an onboarding makes there as the member access role.
 */
import {
  type Account,
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListPoliciesForTargetCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { getDenialReasons, runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { OnboardingConfig } from '../../functions/lib/config';
import { type Context, fail, HOME_REGION, type Outcome, pass, warn } from './checks';

type MemberCall = { action: string; resource: string; context: Record<string, string | string[]> };
type PolicyLevels = Simulation['serviceControlPolicies'];

/** The IAM calls an onboarding makes in a member account, with the condition keys they carry. */
function memberAccountCalls(config: OnboardingConfig, accountId: string): MemberCall[] {
  const role = `arn:aws:iam::${accountId}:role${config.cicdRolePath}${config.cicdRoleName}`;
  const { key, value } = config.managedTag;
  const existing = { [`aws:ResourceTag/${key}`]: value };
  const tagging = { [`aws:RequestTag/${key}`]: value, 'aws:TagKeys': [key] };
  const boundary: Record<string, string> = config.permissionsBoundaryArn
    ? { 'iam:PermissionsBoundary': config.permissionsBoundaryArn }
    : {};
  return [
    { action: 'iam:GetRole', resource: role, context: {} },
    { action: 'iam:ListAttachedRolePolicies', resource: role, context: existing },
    { action: 'iam:CreateRole', resource: role, context: { ...tagging, ...boundary } },
    { action: 'iam:TagRole', resource: role, context: { ...existing, ...tagging } },
    { action: 'iam:UpdateAssumeRolePolicy', resource: role, context: existing },
    ...config.cicdPolicyArns.map((arn) => ({
      action: 'iam:AttachRolePolicy',
      resource: role,
      context: { ...existing, 'iam:PolicyARN': arn },
    })),
    ...(config.permissionsBoundaryArn
      ? [{ action: 'iam:PutRolePermissionsBoundary', resource: role, context: { ...existing, ...boundary } }]
      : []),
  ];
}

/** The path from the root down to the account: SCPs at every level must allow a call. */
async function pathTo(organizations: OrganizationsClient, accountId: string): Promise<string[]> {
  const levels: string[] = [accountId];
  for (let child = accountId; ; ) {
    const parent = (await organizations.send(new ListParentsCommand({ ChildId: child }))).Parents?.[0];
    if (!parent?.Id) break;
    levels.unshift(parent.Id);
    if (parent.Type === 'ROOT') break;
    child = parent.Id;
  }
  return levels;
}

/** The SCPs attached at each level, or `undefined` when the organization has not enabled SCPs. */
async function policiesOn(organizations: OrganizationsClient, levels: string[]): Promise<PolicyLevels | undefined> {
  const serviceControlPolicies: PolicyLevels = [];
  for (const level of levels) {
    let summaries: Array<{ Id?: string; Name?: string }> = [];
    try {
      const filter = { TargetId: level, Filter: 'SERVICE_CONTROL_POLICY' } as const;
      summaries = (await organizations.send(new ListPoliciesForTargetCommand(filter))).Policies ?? [];
    } catch (error) {
      if ((error as Error).name === 'PolicyTypeNotEnabledException') return undefined;
      throw error;
    }
    const policies = [];
    for (const summary of summaries) {
      const content = (await organizations.send(new DescribePolicyCommand({ PolicyId: summary.Id }))).Policy?.Content;
      policies.push({ name: `${summary.Name} (${summary.Id}, on ${level})`, policy: JSON.parse(content ?? '{}') });
    }
    serviceControlPolicies.push({ orgIdentifier: level, policies });
  }
  return serviceControlPolicies;
}

interface Principal {
  accountId: string;
  accessRole: string;
  organizationId?: string;
}

/** Simulates one call as the access role (an administrator: only the SCPs can stand in the way). */
function simulate(call: MemberCall, { accountId, accessRole, organizationId }: Principal, scps: PolicyLevels) {
  return runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${accountId}:assumed-role/${accessRole}/oidc-account-onboarding`,
        action: call.action,
        resource: { resource: call.resource, accountId },
        contextVariables: {
          'aws:PrincipalArn': `arn:aws:iam::${accountId}:role/${accessRole}`,
          'aws:PrincipalAccount': accountId,
          'aws:PrincipalType': 'AssumedRole',
          ...(organizationId ? { 'aws:PrincipalOrgID': organizationId, 'aws:ResourceOrgID': organizationId } : {}),
          'aws:ResourceAccount': accountId,
          'aws:RequestedRegion': HOME_REGION,
          'aws:SecureTransport': 'true',
          'aws:ViaAWSService': 'false',
          'aws:CurrentTime': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ...call.context,
        },
      },
      identityPolicies: [
        {
          name: accessRole,
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
      serviceControlPolicies: scps,
      resourceControlPolicies: [],
    },
    {},
  );
}

/** Why the SCPs deny the call, or undefined when they allow it. */
async function denialOf(call: MemberCall, principal: Principal, scps: PolicyLevels): Promise<string | undefined> {
  const result = await simulate(call, principal, scps);
  if (result.resultType === 'error') return `${call.action}: could not be simulated (${JSON.stringify(result.errors)})`;
  if (result.overallResult === 'Allowed') return undefined;
  const single = result.resultType === 'single' ? result.result : result.results[0];
  const explicit = single
    ? getDenialReasons(single.analysis).flatMap((d) =>
        d.policyType === 'scp' && d.denialType === 'Explicit' ? [d] : [],
      )[0]
    : undefined;
  const silent = single?.analysis.scpAnalysis?.ouAnalysis.find((ou) => ou.result === 'ImplicitlyDenied');
  if (explicit) {
    return `${call.action} denied by ${explicit.policyIdentifier ?? 'an SCP'}${explicit.statementId ? ` (statement ${explicit.statementId})` : ''}`;
  }
  return silent
    ? `${call.action} allowed by no SCP on ${silent.orgIdentifier}`
    : `${call.action} ${result.overallResult}`;
}

export async function checkServiceControlPolicies(
  context: Context,
  organizations: OrganizationsClient,
  account: Account | undefined,
  accessRole: string,
): Promise<Outcome> {
  const { config } = context;
  if (!account?.Id) return warn('no member account to simulate', 'run doctor again once the organization has one');
  const accountId = account.Id;
  const levels = await pathTo(organizations, accountId);
  const organization = (await organizations.send(new DescribeOrganizationCommand({}))).Organization;
  const scps = await policiesOn(organizations, levels);
  if (!scps) return pass('service control policies are not enabled in the organization: nothing to deny');
  const principal = { accountId, accessRole, organizationId: organization?.Id };
  const calls = memberAccountCalls(config, accountId);
  const denials: string[] = [];
  for (const call of calls) {
    const denial = await denialOf(call, principal, scps);
    if (denial) denials.push(denial);
  }
  const where = `${account.Name} (${accountId}), path ${levels.join(' / ')}`;
  if (denials.length > 0) {
    return fail(
      `on ${where}: ${denials.join('; ')}`,
      `exempt the member access role (${accessRole}) from the denying policy for the ${config.cicdRoleName} role, e.g. a Condition ArnNotLike aws:PrincipalArn arn:aws:iam::*:role/${accessRole}`,
    );
  }
  const count = scps.reduce((n, l) => n + l.policies.length, 0);
  return pass(`${count} SCP(s) on ${where} allow the ${calls.length} IAM calls an onboarding makes there`);
}
