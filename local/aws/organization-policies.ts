/**
 * Service control policies in the stand-in's Organizations (CreatePolicy, AttachPolicy, DetachPolicy,
 * ListPoliciesForTarget, DescribePolicy): what `cli doctor` reads to simulate a sample account's SCPs. As in AWS,
 * `FullAWSAccess` exists from the start and is attached to the root, every OU and every account. Kept beside the state, per stand-in.
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './protocols';
import type { JsonOperation, OperationContext } from './service';
import type { AwsState } from './state';

type Context = OperationContext<Record<string, unknown>>;

export interface ServiceControlPolicy {
  id: string;
  name: string;
  description: string;
  content: string;
  awsManaged: boolean;
  /** Root, OU and account ids it is attached to. */
  targets: Set<string>;
  /** FullAWSAccess: attached to every root, OU and account (as AWS does when SCPs are enabled), but these. */
  everywhereBut?: Set<string>;
}

const isAttached = (policy: ServiceControlPolicy, target: string) =>
  policy.everywhereBut ? !policy.everywhereBut.has(target) : policy.targets.has(target);

const FULL_AWS_ACCESS_ID = 'p-FullAWSAccess';
const policiesByState = new WeakMap<AwsState, Map<string, ServiceControlPolicy>>();

export function serviceControlPolicies(state: AwsState): Map<string, ServiceControlPolicy> {
  let policies = policiesByState.get(state);
  if (!policies) {
    policies = new Map([
      [
        FULL_AWS_ACCESS_ID,
        {
          id: FULL_AWS_ACCESS_ID,
          name: 'FullAWSAccess',
          description: 'Allows access to every operation',
          content: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          }),
          awsManaged: true,
          targets: new Set(),
          everywhereBut: new Set(),
        },
      ],
    ]);
    policiesByState.set(state, policies);
  }
  return policies;
}

const invalidInput = (message: string) =>
  new AwsError('InvalidInputException', 400, message, { Reason: 'INVALID_INPUT' });

function policyOf({ state, input }: Context): ServiceControlPolicy {
  const policy = serviceControlPolicies(state).get(String(input.PolicyId ?? ''));
  if (!policy)
    throw new AwsError('PolicyNotFoundException', 400, "We can't find a policy with the PolicyId that you specified.");
  return policy;
}

function requireTarget(state: AwsState, targetId: string): void {
  if (
    targetId === state.organization.rootId ||
    state.organization.accounts.has(targetId) ||
    state.organization.organizationalUnits.has(targetId)
  )
    return;
  throw new AwsError(
    'TargetNotFoundException',
    400,
    "We can't find a root, OU, account, or email with the TargetId that you specified.",
  );
}

function requireScpType(input: Record<string, unknown>, member = 'Filter'): void {
  if (input[member] !== 'SERVICE_CONTROL_POLICY') {
    throw invalidInput(`The stand-in keeps SERVICE_CONTROL_POLICY only, not ${String(input[member])}.`);
  }
}

const summary = (state: AwsState, p: ServiceControlPolicy) => ({
  Id: p.id,
  Arn: `arn:aws:organizations::${p.awsManaged ? 'aws' : state.organization.managementAccountId}:policy/${p.awsManaged ? '' : `${state.organization.organizationId}/`}service_control_policy/${p.id}`,
  Name: p.name,
  Description: p.description,
  Type: 'SERVICE_CONTROL_POLICY',
  AwsManaged: p.awsManaged,
});

export const policyOperations: Record<string, JsonOperation> = {
  CreatePolicy: ({ state, input }) => {
    requireScpType(input, 'Type');
    const name = String(input.Name ?? '');
    const content = String(input.Content ?? '');
    if (!/^[\w+=,.@-]{1,128}$/.test(name)) throw invalidInput('Name must be 1-128 of letters, digits and +=,.@-_.');
    try {
      JSON.parse(content);
    } catch {
      throw new AwsError(
        'MalformedPolicyDocumentException',
        400,
        'The provided policy document does not meet the requirements of the specified policy type.',
      );
    }
    const policies = serviceControlPolicies(state);
    if ([...policies.values()].some((p) => p.name === name)) {
      throw new AwsError('DuplicatePolicyException', 400, 'A policy with the same name already exists.');
    }
    const policy: ServiceControlPolicy = {
      id: `p-${randomBytes(4).toString('hex')}`,
      name,
      description: String(input.Description ?? ''),
      content,
      awsManaged: false,
      targets: new Set(),
    };
    policies.set(policy.id, policy);
    return { Policy: { PolicySummary: summary(state, policy), Content: content } };
  },

  AttachPolicy: (context) => {
    const policy = policyOf(context);
    const targetId = String(context.input.TargetId ?? '');
    requireTarget(context.state, targetId);
    if (isAttached(policy, targetId)) {
      throw new AwsError(
        'DuplicatePolicyAttachmentException',
        400,
        'The selected policy is already attached to the specified target.',
      );
    }
    policy.everywhereBut?.delete(targetId);
    policy.targets.add(targetId);
    return {};
  },

  DetachPolicy: (context) => {
    const policy = policyOf(context);
    const targetId = String(context.input.TargetId ?? '');
    if (!isAttached(policy, targetId)) {
      throw new AwsError('PolicyNotAttachedException', 400, 'The policy is not attached to the specified target.');
    }
    policy.targets.delete(targetId);
    policy.everywhereBut?.add(targetId);
    return {};
  },

  DescribePolicy: (context) => {
    const policy = policyOf(context);
    return { Policy: { PolicySummary: summary(context.state, policy), Content: policy.content } };
  },

  ListPoliciesForTarget: ({ state, input }) => {
    requireScpType(input);
    const targetId = String(input.TargetId ?? '');
    requireTarget(state, targetId);
    const attached = [...serviceControlPolicies(state).values()].filter((p) => isAttached(p, targetId));
    return { Policies: attached.map((p) => summary(state, p)) };
  },
};
