/** The secrets of Secrets Manager in every account, by ARN, with their versions and staging labels. */
import { randomUUID } from 'node:crypto';
import { LOWER_ALPHABET, randomId } from './state-common';

export interface SecretVersion {
  id: string;
  secretString?: string;
  secretBinary?: string;
  stages: string[];
  createdDate: Date;
}

export interface Secret {
  arn: string;
  name: string;
  accountId: string;
  description?: string;
  createdDate: Date;
  versions: SecretVersion[];
}

/** Before a new AWSCURRENT version: the current one becomes AWSPREVIOUS, the previous one loses its label. */
export function demoteCurrentVersion(secret: Secret): void {
  for (const v of secret.versions) {
    v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : v.stages.filter((s) => s !== 'AWSPREVIOUS');
  }
}

export class SecretStore {
  private readonly secrets = new Map<string, Secret>();

  constructor(private readonly region: string) {}

  /** A new secret with no version yet; its ARN ends in 6 random characters, as Secrets Manager's do. */
  createSecret(accountId: string, name: string): Secret {
    const arn = `arn:aws:secretsmanager:${this.region}:${accountId}:secret:${name}-${randomId(6, LOWER_ALPHABET)}`;
    const secret: Secret = { arn, name, accountId, createdDate: new Date(), versions: [] };
    this.secrets.set(arn, secret);
    return secret;
  }

  /** Stores a new AWSCURRENT value, creating the secret when missing; returns its ARN. */
  putSecret(accountId: string, name: string, secretString: string): string {
    const secret = this.findSecret(accountId, name) ?? this.createSecret(accountId, name);
    demoteCurrentVersion(secret);
    secret.versions.push({ id: randomUUID(), secretString, stages: ['AWSCURRENT'], createdDate: new Date() });
    return secret.arn;
  }

  /** By name in the account, by full ARN, or by ARN without the 6-character suffix. */
  findSecret(accountId: string, secretId: string): Secret | undefined {
    const exact = this.secrets.get(secretId);
    if (exact) return exact;
    const arnMatch = /^arn:aws:secretsmanager:[^:]+:(\d{12}):secret:(.+)$/.exec(secretId);
    const owner = arnMatch ? (arnMatch[1] as string) : accountId;
    const name = arnMatch ? (arnMatch[2] as string) : secretId;
    for (const secret of this.secrets.values()) {
      if (secret.accountId === owner && secret.name === name) return secret;
    }
    return undefined;
  }
}
