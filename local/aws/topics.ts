/** The SNS topics of every account, by ARN, and every message published to them. */

export interface PublishedMessage {
  topicArn: string;
  accountId: string;
  messageId: string;
  message: string;
  subject?: string;
  attributes: Record<string, string>;
}

export class TopicStore {
  private readonly topics = new Map<string, { arn: string; accountId: string; name: string }>();
  /** Every message published, in order. */
  readonly published: PublishedMessage[] = [];

  constructor(private readonly region: string) {}

  /** CreateTopic is idempotent: the same name gives the same ARN. */
  createTopic(accountId: string, name: string): string {
    const arn = `arn:aws:sns:${this.region}:${accountId}:${name}`;
    if (!this.topics.has(arn)) this.topics.set(arn, { arn, accountId, name });
    return arn;
  }

  hasTopic(topicArn: string): boolean {
    return this.topics.has(topicArn);
  }
}
