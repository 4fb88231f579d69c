/**
 * The credentials the stand-in has issued, by access key: long-term `AKIA…` keys of IAM users and `ASIA…` sessions
 * of roles (STS). A request's access key names its caller.
 */
import { randomBytes } from 'node:crypto';
import type { IamStore, Role } from './iam-store';
import { parseRoleArn } from './iam-trust';
import type { PolicyDocument } from './policy';
import { randomId } from './state-common';

/** Who is calling, resolved from the access key of the request. */
export interface Caller {
  accountId: string;
  kind: 'user' | 'assumed-role';
  /** `arn:aws:iam::…:user/…` or `arn:aws:sts::…:assumed-role/<role>/<session>`. */
  arn: string;
  /** `AIDA…` or `AROA…:<session>`. */
  userId: string;
  /** The user ARN or the role ARN behind a session. */
  principalArn: string;
  /** `AIDA…` or `AROA…`. */
  principalId: string;
  roleName?: string;
  sessionName?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface CredentialRecord extends Credentials {
  caller: Caller;
  /** Session policies passed to AssumeRole (`Policy`, `PolicyArns`): the session can do no more than they allow. */
  sessionPolicies?: PolicyDocument[];
}

/** A session of the account's `Admin` role, as a person at the console would call (`principalId` is its `AROA…`). */
export function adminCaller(accountId: string, principalId: string): Caller {
  return {
    accountId,
    kind: 'assumed-role',
    arn: `arn:aws:sts::${accountId}:assumed-role/Admin/admin`,
    userId: `${principalId}:admin`,
    principalArn: `arn:aws:iam::${accountId}:role/Admin`,
    principalId,
    roleName: 'Admin',
    sessionName: 'admin',
  };
}

export class CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();

  constructor(private readonly iam: IamStore) {}

  /** The credentials of an access key, undefined when the stand-in never issued it. */
  get(accessKeyId: string): CredentialRecord | undefined {
    return this.records.get(accessKeyId);
  }

  /** The access keys issued so far, in order. */
  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  /** The credentials issued so far, in order. */
  values(): IterableIterator<CredentialRecord> {
    return this.records.values();
  }

  /** Issues long-term `AKIA…` keys for an IAM user of the account (the user is created when missing). */
  issueCredentials(accountId: string, userName = 'stand-in-admin'): Credentials {
    const user = this.iam.ensureUser(accountId, userName);
    const record: CredentialRecord = {
      accessKeyId: `AKIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      caller: {
        accountId,
        kind: 'user',
        arn: user.arn,
        userId: user.userId,
        principalArn: user.arn,
        principalId: user.userId,
      },
    };
    this.records.set(record.accessKeyId, record);
    return { accessKeyId: record.accessKeyId, secretAccessKey: record.secretAccessKey };
  }

  /** Issues `ASIA…` session credentials acting as the role (what STS returns). No trust check: see sts.ts. */
  issueRoleSession(
    role: Role,
    sessionName: string,
    durationSeconds = 3600,
    sessionPolicies?: PolicyDocument[],
  ): Required<Credentials> {
    const record: CredentialRecord = {
      ...(sessionPolicies?.length ? { sessionPolicies } : {}),
      accessKeyId: `ASIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
      expiration: new Date(Date.now() + durationSeconds * 1000),
      caller: {
        accountId: role.accountId,
        kind: 'assumed-role',
        arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
        userId: `${role.roleId}:${sessionName}`,
        principalArn: role.arn,
        principalId: role.roleId,
        roleName: role.name,
        sessionName,
      },
    };
    this.records.set(record.accessKeyId, record);
    return record as Required<CredentialRecord>;
  }

  /** Session credentials for a role by ARN, e.g. the tooling pipeline role as GitHub's OIDC login would give. */
  sessionFor(roleArn: string, sessionName = 'stand-in'): Required<Credentials> {
    const parsed = parseRoleArn(roleArn);
    const role = parsed && this.iam.findRole(parsed.accountId, parsed.roleName);
    if (!role) throw new Error(`No role ${roleArn}`);
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = this.issueRoleSession(role, sessionName);
    return { accessKeyId, secretAccessKey, sessionToken, expiration };
  }
}
