import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { isAccessDenied, isRegionDisabled, rethrowAws } from './aws-errors';
import { AccountNotReady } from './errors';
import { logger } from './logger';
import type { PolicyDocument } from './trust-policy';

/** Structurally the SDK's `AwsCredentialIdentity` (from `@smithy/types`, not a direct dependency). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

export interface MemberAccountSession {
  /** Short-lived credentials of the access role. Never log them, never return them from a handler. */
  credentials: AwsCredentialIdentity;
  /** The member access role that could be assumed. */
  accessRole: string;
}

export interface AssumeMemberAccountOptions {
  partition?: string;
  /** What CloudTrail shows for every call of the session: `<purpose>-<execution>` (session-policy.ts sessionName). */
  sessionName: string;
  /**
   * The session policy (session-policy.ts): the member access role is an administrator of the account, so every
   * session narrows it to what its purpose needs. Required: no member-account session goes without one.
   */
  policy: PolicyDocument;
}

/** Long enough for a handful of IAM calls; the shortest STS allows. */
const SESSION_SECONDS = 900;

/**
 * Gets into a member account, narrowed by `options.policy`, through the first of `roleNames` that can be assumed
 * (`OrganizationAccountAccessRole` for accounts created by Organizations, `AWSControlTowerExecution` for Control
 * Tower ones). A role that is denied (or whose STS region is disabled) is skipped; when none works the account is
 * `AccountNotReady`, which the state machine retries with backoff.
 */
export async function assumeMemberAccount(
  sts: STSClient,
  accountId: string,
  roleNames: string[],
  options: AssumeMemberAccountOptions,
): Promise<MemberAccountSession> {
  const partition = options.partition ?? 'aws';
  const { sessionName } = options;
  const policy = JSON.stringify(options.policy);
  const refusals: string[] = [];
  for (const roleName of roleNames) {
    const roleArn = `arn:${partition}:iam::${accountId}:role/${roleName}`;
    try {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: SESSION_SECONDS,
          Policy: policy,
        }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
        throw new Error(`sts:AssumeRole of ${roleArn} answered without credentials`);
      }
      logger.info('Assumed the member access role', { accessRole: roleName, sessionName });
      return {
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        },
        accessRole: roleName,
      };
    } catch (err) {
      if (isAccessDenied(err) || isRegionDisabled(err)) {
        const code = (err as Error).name;
        logger.info('Member access role refused, trying the next one', { accessRole: roleName, error: code });
        refusals.push(`${roleName} (${code})`);
        continue;
      }
      rethrowAws(err, `sts:AssumeRole of ${roleArn}`);
    }
  }
  throw new AccountNotReady(
    `Cannot get into account ${accountId}: none of the member access roles could be assumed: ${refusals.join(', ')}. ` +
      'A new account can take a few minutes before its access role is assumable (retried automatically); ' +
      `an invited account needs one of these roles created by its administrator, trusting this management account.`,
  );
}

/**
 * IAM clients for member accounts, one per set of credentials, sharing everything that does not depend on them:
 * the first client's HTTP handler (its keep-alive agent reuses connections to IAM across accounts, where a fresh
 * client would open a fresh TLS connection for every account a reconcile batch checks) and its resolved settings
 * (region, FIPS and dual-stack endpoints, retry mode and attempts, defaults mode, user agent). Each setting is read
 * from the environment and config files once, not once per account: about a third of the CPU a member-account
 * call costs (section 4 of `npm run bench` measures the sweep this serves).
 */
export function memberIamClients(
  clientConfig: Omit<IAMClientConfig, 'credentials'> = {},
): (credentials: AwsCredentialIdentity) => IAMClient {
  let shared: IAMClientConfig | undefined;
  return (credentials) => {
    if (!shared) {
      const { config } = new IAMClient(clientConfig);
      shared = {
        ...clientConfig,
        requestHandler: config.requestHandler,
        region: config.region,
        useFipsEndpoint: config.useFipsEndpoint,
        useDualstackEndpoint: config.useDualstackEndpoint,
        maxAttempts: config.maxAttempts,
        retryMode: config.retryMode,
        defaultsMode: config.defaultsMode,
        userAgentAppId: config.userAgentAppId,
        authSchemePreference: config.authSchemePreference,
        defaultUserAgentProvider: config.defaultUserAgentProvider,
      };
    }
    return new IAMClient({ ...shared, credentials });
  };
}
