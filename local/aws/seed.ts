/** The organization every stand-in starts with: management, tooling (Security OU) and two workload accounts. */
import type { AwsState } from './state';

export const SEED = {
  management: '100000000001',
  tooling: '100000000002',
  workloadProd: '100000000003',
  /** A leading zero on purpose: account ids are strings. */
  workloadDev: '012345678901',
  pipelineRoleName: 'GitHubAction-AssumeRoleWithAction',
  githubRepository: 'acme/terraform-aws',
} as const;

export function seedOrganization(state: AwsState) {
  const security = state.createOrganizationalUnit('Security');
  const workloads = state.createOrganizationalUnit('Workloads');
  const prod = state.createOrganizationalUnit('Prod', workloads.id);
  const dev = state.createOrganizationalUnit('Dev', workloads.id, [{ Key: 'Environment', Value: 'dev' }]);

  state.createAccount({
    id: SEED.tooling,
    name: 'tooling',
    email: 'aws+tooling@example.com',
    parentId: security.id,
    tags: [{ Key: 'Purpose', Value: 'cicd' }],
  });
  state.createAccount({
    id: SEED.workloadProd,
    name: 'workload-prod-01',
    email: 'aws+workload-prod-01@example.com',
    parentId: prod.id,
    tags: [
      { Key: 'Environment', Value: 'prod' },
      { Key: 'Owner', Value: 'platform-team' },
    ],
  });
  state.createAccount({
    id: SEED.workloadDev,
    name: 'workload-dev-01',
    email: 'aws+workload-dev-01@example.com',
    parentId: dev.id,
    tags: [{ Key: 'Environment', Value: 'dev' }],
  });

  const pipelineRole = createPipelineRole(state);
  const topicArn = state.topics.createTopic(SEED.management, 'account-onboarding-notifications');

  return {
    organizationalUnits: { security: security.id, workloads: workloads.id, prod: prod.id, dev: dev.id },
    pipelineRoleArn: pipelineRole.arn,
    topicArn,
  };
}

/** The tooling account's pipeline role, as GitHub Actions assumes it, allowed to assume roles in the organization. */
function createPipelineRole(state: AwsState) {
  const oidcProvider = `arn:aws:iam::${SEED.tooling}:oidc-provider/token.actions.githubusercontent.com`;
  const pipelineRole = state.createRole(SEED.tooling, {
    roleName: SEED.pipelineRoleName,
    description: 'Assumed by GitHub Actions through OpenID Connect',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: oidcProvider },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: {
              'token.actions.githubusercontent.com:sub': `repo:${SEED.githubRepository}:ref:refs/heads/main`,
            },
          },
        },
      ],
    },
  });
  // What the tooling stack grants it (infra/constructs/github-oidc-access.ts), for any role name: each role's trust decides.
  state.putRolePolicy(SEED.tooling, SEED.pipelineRoleName, 'AssumeRolesInTheOrganization', {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::*:role/*',
        Condition: { StringEquals: { 'aws:ResourceOrgID': state.organizationId } },
      },
    ],
  });
  return pipelineRole;
}
