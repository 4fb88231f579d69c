/**
 * IAM of every account the stand-in knows: roles (trust policy, attached and inline policies, tags, boundary),
 * customer managed policies and users. Names are case-insensitive for roles, as IAM's are.
 */
import { checkedTrustPolicy, parseRoleArn, type RoleIdOf, shownTrustPolicy } from './iam-trust';
import { noSuchRole, validatePolicyName, validateRoleInput, validateTags } from './iam-validation';
import { AWS_MANAGED_POLICIES } from './managed-policies';
import { type PolicyDocument, parsePolicyDocument, statementsOf } from './policy';
import { AwsError } from './protocols';
import { randomId, type Tag } from './state-common';

export interface Role {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  accountId: string;
  createDate: Date;
  /** The trust policy text as submitted; see `IamStore.trustPolicyText` for what IAM shows. */
  trustPolicy: string;
  /** Role principals of the trust policy and the unique id they had when the policy was written. */
  principalRefs: Map<string, string>;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundaryArn?: string;
  tags: Tag[];
  /** Attached managed policies, ARN → name. */
  attached: Map<string, string>;
  /** Inline policies (PutRolePolicy), name → document text. */
  inline: Map<string, string>;
  /** GetRole answers NoSuchEntity this many more times (IAM eventual consistency). */
  invisibleReads: number;
  /** GetRole answers NoSuchEntity until this time (epoch ms). */
  visibleAt: number;
}

export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  policyId: string;
  document: string;
  createDate: Date;
  description?: string;
}

export interface User {
  name: string;
  arn: string;
  userId: string;
}

export interface CreateRoleInput {
  roleName: string;
  /** JSON text or an object (serialised as JSON). */
  assumeRolePolicyDocument: string | PolicyDocument;
  path?: string;
  description?: string;
  maxSessionDuration?: number;
  permissionsBoundary?: string;
  tags?: Tag[];
}

interface IamAccount {
  roles: Map<string, Role>;
  policies: Map<string, ManagedPolicy>;
  users: Map<string, User>;
}

const AWS_MANAGED = new Set(AWS_MANAGED_POLICIES);

export class IamStore {
  private readonly accounts = new Map<string, IamAccount>();

  /** `isAccount`: whether the stand-in knows the account (a principal of an unknown account is not checked). */
  constructor(private readonly isAccount: (accountId: string) => boolean) {}

  private iam(accountId: string): IamAccount {
    let iam = this.accounts.get(accountId);
    if (!iam) {
      iam = { roles: new Map(), policies: new Map(), users: new Map() };
      this.accounts.set(accountId, iam);
    }
    return iam;
  }

  // ---------------------------------------------------------------- roles

  findRole(accountId: string, roleName: string): Role | undefined {
    return this.accounts.get(accountId)?.roles.get(roleName.toLowerCase());
  }

  requireRole(accountId: string, roleName: string): Role {
    const role = this.findRole(accountId, roleName);
    if (!role) throw noSuchRole(roleName);
    return role;
  }

  listRoles(accountId: string): Role[] {
    return [...(this.accounts.get(accountId)?.roles.values() ?? [])];
  }

  /** Whether a `role/…` or `user/…` principal exists; undefined for accounts the stand-in does not know. */
  principalExists = (accountId: string, resource: string): boolean | undefined => {
    if (!this.isAccount(accountId) && !this.accounts.has(accountId)) return undefined;
    const name = resource.slice(resource.lastIndexOf('/') + 1);
    if (resource.startsWith('role/'))
      return this.findRole(accountId, name)?.arn === `arn:aws:iam::${accountId}:${resource}`;
    return this.iam(accountId).users.has(name);
  };

  private readonly roleIdOf: RoleIdOf = (roleArn) => {
    const parsed = parseRoleArn(roleArn);
    return parsed && this.findRole(parsed.accountId, parsed.roleName)?.roleId;
  };

  /** The trust policy as IAM shows it: a role principal deleted (or recreated) since shows as its old `AROA…` id. */
  trustPolicyText(role: Role): string {
    return shownTrustPolicy({ text: role.trustPolicy, refs: role.principalRefs }, this.roleIdOf);
  }

  trustPolicyDocument(role: Role): PolicyDocument {
    return JSON.parse(this.trustPolicyText(role)) as PolicyDocument;
  }

  createRole(accountId: string, input: CreateRoleInput): Role {
    const { path, maxSessionDuration } = validateRoleInput(input);
    validateTags(input.tags ?? []);
    const iam = this.iam(accountId);
    if (iam.roles.has(input.roleName.toLowerCase())) {
      throw new AwsError('EntityAlreadyExists', 409, `Role with name ${input.roleName} already exists.`);
    }
    const { text, refs } = checkedTrustPolicy(input.assumeRolePolicyDocument, this.principalExists, this.roleIdOf);
    if (input.permissionsBoundary) this.requirePolicy(accountId, input.permissionsBoundary);
    const role: Role = {
      name: input.roleName,
      path,
      arn: `arn:aws:iam::${accountId}:role${path}${input.roleName}`,
      roleId: `AROA${randomId(17)}`,
      accountId,
      createDate: new Date(),
      trustPolicy: text,
      principalRefs: refs,
      description: input.description,
      maxSessionDuration,
      permissionsBoundaryArn: input.permissionsBoundary,
      tags: [...(input.tags ?? [])],
      attached: new Map(),
      inline: new Map(),
      invisibleReads: 0,
      visibleAt: 0,
    };
    iam.roles.set(input.roleName.toLowerCase(), role);
    return role;
  }

  updateAssumeRolePolicy(accountId: string, roleName: string, policy: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    const { text, refs } = checkedTrustPolicy(policy, this.principalExists, this.roleIdOf);
    role.trustPolicy = text;
    role.principalRefs = refs;
  }

  /** Tampering helper: stores a trust policy as is, without IAM's validation (e.g. with an `AROA…` principal). */
  setTrustPolicyUnchecked(accountId: string, roleName: string, policy: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    role.trustPolicy = typeof policy === 'string' ? policy : JSON.stringify(policy);
    role.principalRefs = new Map();
  }

  deleteRole(accountId: string, roleName: string, options: { force?: boolean } = {}): void {
    const role = this.requireRole(accountId, roleName);
    if (role.attached.size > 0 && !options.force) {
      throw new AwsError('DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
    }
    if (role.inline.size > 0 && !options.force) {
      throw new AwsError('DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
    }
    this.iam(accountId).roles.delete(roleName.toLowerCase());
  }

  /** Deletes and creates the role again with the same settings: a new `AROA…` id, as after a redeploy. */
  recreateRole(accountId: string, roleName: string): Role {
    const old = this.requireRole(accountId, roleName);
    this.deleteRole(accountId, roleName, { force: true });
    const role = this.createRole(accountId, {
      roleName: old.name,
      path: old.path,
      description: old.description,
      maxSessionDuration: old.maxSessionDuration,
      permissionsBoundary: old.permissionsBoundaryArn,
      tags: old.tags,
      assumeRolePolicyDocument: this.trustPolicyText(old),
    });
    for (const arn of old.attached.keys()) this.attachRolePolicy(accountId, roleName, arn);
    for (const [name, document] of old.inline) role.inline.set(name, document);
    return role;
  }

  /** The member access role of an account, trusting the management account, with AdministratorAccess. */
  createAccessRole(accountId: string, roleName: string, managementAccountId: string): Role {
    const role = this.createRole(accountId, {
      roleName,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${managementAccountId}:root` }, Action: 'sts:AssumeRole' },
        ],
      },
    });
    this.attachRolePolicy(accountId, roleName, 'arn:aws:iam::aws:policy/AdministratorAccess');
    return role;
  }

  // ---------------------------------------------------------------- managed policies

  createPolicy(
    accountId: string,
    input: { name: string; document: string | object; path?: string; description?: string },
  ): ManagedPolicy {
    const iam = this.iam(accountId);
    const path = input.path ?? '/';
    const arn = `arn:aws:iam::${accountId}:policy${path}${input.name}`;
    for (const policy of iam.policies.values()) {
      if (policy.name === input.name) {
        throw new AwsError(
          'EntityAlreadyExists',
          409,
          `A policy called ${input.name} already exists. Duplicate names are not allowed.`,
        );
      }
    }
    const document = typeof input.document === 'string' ? input.document : JSON.stringify(input.document);
    parsePolicyDocument(document);
    const policy: ManagedPolicy = {
      arn,
      name: input.name,
      path,
      policyId: `ANPA${randomId(17)}`,
      document,
      createDate: new Date(),
      description: input.description,
    };
    iam.policies.set(arn, policy);
    return policy;
  }

  customerPolicy(accountId: string, policyArn: string): ManagedPolicy | undefined {
    return this.accounts.get(accountId)?.policies.get(policyArn);
  }

  /** Throws NoSuchEntity unless the managed policy can be attached to a principal of the account; returns its name. */
  requirePolicy(accountId: string, policyArn: string): string {
    if (!/^arn:aws:iam::(aws|\d{12}):policy\/.+$/.test(policyArn)) {
      throw new AwsError('InvalidInput', 400, `ARN ${policyArn} is not valid.`);
    }
    const exists = AWS_MANAGED.has(policyArn) || this.accounts.get(accountId)?.policies.has(policyArn);
    if (!exists) throw new AwsError('NoSuchEntity', 404, `Policy ${policyArn} does not exist or is not attachable.`);
    return policyArn.slice(policyArn.lastIndexOf('/') + 1);
  }

  // ---------------------------------------------------------------- a role's policies, tags and boundary

  attachRolePolicy(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    const name = this.requirePolicy(accountId, policyArn);
    if (!role.attached.has(policyArn) && role.attached.size >= 10) {
      throw new AwsError('LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerRole: 10');
    }
    role.attached.set(policyArn, name);
  }

  detachRolePolicy(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    if (!role.attached.delete(policyArn)) {
      throw new AwsError('NoSuchEntity', 404, `Policy ${policyArn} was not found.`);
    }
  }

  /** PutRolePolicy: adds or replaces an inline policy (validated as an identity policy document). */
  putRolePolicy(accountId: string, roleName: string, policyName: string, document: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    validatePolicyName(policyName);
    const text = typeof document === 'string' ? document : JSON.stringify(document);
    for (const statement of statementsOf(parsePolicyDocument(text))) {
      if ('Principal' in statement || 'NotPrincipal' in statement) {
        throw new AwsError('MalformedPolicyDocument', 400, 'Policy document should not specify a principal.');
      }
    }
    role.inline.set(policyName, text);
  }

  deleteRolePolicy(accountId: string, roleName: string, policyName: string): void {
    const role = this.requireRole(accountId, roleName);
    if (!role.inline.delete(policyName)) {
      throw new AwsError('NoSuchEntity', 404, `The role policy with name ${policyName} cannot be found.`);
    }
  }

  tagRole(accountId: string, roleName: string, tags: Tag[]): void {
    const role = this.requireRole(accountId, roleName);
    const merged = new Map(role.tags.map((t) => [t.Key, t.Value]));
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    const next = [...merged].map(([Key, Value]) => ({ Key, Value }));
    validateTags(next);
    role.tags = next;
  }

  untagRole(accountId: string, roleName: string, keys: string[]): void {
    const role = this.requireRole(accountId, roleName);
    role.tags = role.tags.filter((t) => !keys.includes(t.Key));
  }

  putRolePermissionsBoundary(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    this.requirePolicy(accountId, policyArn);
    role.permissionsBoundaryArn = policyArn;
  }

  deleteRolePermissionsBoundary(accountId: string, roleName: string): void {
    const role = this.requireRole(accountId, roleName);
    role.permissionsBoundaryArn = undefined;
  }

  /** A plain view of a role for assertions: the decoded trust policy, attached policy ARNs, tags as a record. */
  readRole(accountId: string, roleName: string) {
    const role = this.findRole(accountId, roleName);
    if (!role) return undefined;
    return {
      arn: role.arn,
      roleId: role.roleId,
      path: role.path,
      description: role.description,
      maxSessionDuration: role.maxSessionDuration,
      trustPolicy: this.trustPolicyDocument(role),
      attachedPolicyArns: [...role.attached.keys()],
      permissionsBoundaryArn: role.permissionsBoundaryArn,
      tags: Object.fromEntries(role.tags.map((t) => [t.Key, t.Value])),
    };
  }

  // ---------------------------------------------------------------- users

  /** The IAM user of the account, created when missing. */
  ensureUser(accountId: string, userName: string): User {
    const users = this.iam(accountId).users;
    let user = users.get(userName);
    if (!user) {
      user = { name: userName, arn: `arn:aws:iam::${accountId}:user/${userName}`, userId: `AIDA${randomId(17)}` };
      users.set(userName, user);
    }
    return user;
  }
}
