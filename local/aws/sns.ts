/** Amazon SNS (awsQuery, 2010-03-31): topics and Publish; messages are kept in `state.topics.published`. */
import { randomUUID } from 'node:crypto';
import { AwsError, queryList } from './protocols';
import type { QueryOperation, QueryService } from './service';

const invalidParameter = (message: string) => new AwsError('InvalidParameter', 400, `Invalid parameter: ${message}`);

const operations: Record<string, QueryOperation> = {
  CreateTopic: ({ state, caller, input }) => {
    const name = input.get('Name') ?? '';
    if (!/^[\w-]{1,256}(\.fifo)?$/.test(name)) throw invalidParameter('Topic Name');
    return { TopicArn: state.topics.createTopic(caller.accountId, name) };
  },

  Publish: ({ state, caller, input }) => {
    const topicArn = input.get('TopicArn') ?? input.get('TargetArn') ?? '';
    const message = input.get('Message') ?? '';
    const subject = input.get('Subject') ?? undefined;
    if (!topicArn) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    if (!/^arn:aws:sns:[^:]+:\d{12}:[\w.-]+$/.test(topicArn)) throw invalidParameter('TopicArn');
    if (message === '') throw invalidParameter('Empty message');
    if (Buffer.byteLength(message) > 262144) throw invalidParameter('Message too long');
    if (subject !== undefined && (subject.length > 100 || !/^[\x20-\x7e]*$/.test(subject))) {
      throw invalidParameter('Subject');
    }
    if (!state.topics.hasTopic(topicArn)) throw new AwsError('NotFound', 404, 'Topic does not exist');
    const attributes: Record<string, string> = {};
    for (const entry of queryList(input, 'MessageAttributes', 'entry')) {
      if (typeof entry === 'object' && entry.Name) attributes[entry.Name] = entry['Value.StringValue'] ?? '';
    }
    const messageId = randomUUID();
    state.topics.published.push({ topicArn, accountId: caller.accountId, messageId, message, subject, attributes });
    return { MessageId: messageId };
  },
};

export const snsService: QueryService = {
  protocol: 'query',
  name: 'sns',
  version: '2010-03-31',
  namespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
  operations,
  throttlingError: () => new AwsError('Throttling', 400, 'Rate exceeded'),
  failureError: (status) =>
    status === 503
      ? new AwsError('ServiceUnavailable', 503, 'Service is unavailable. Please try again later.')
      : new AwsError('InternalError', 500, 'Request could not be completed due to an internal error.'),
};
