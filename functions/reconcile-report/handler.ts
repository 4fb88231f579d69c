import { Metrics } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { configFromEnv } from '../lib/config';
import { defineHandler, executionIdSchema } from '../lib/define-handler';
import { ConfigError } from '../lib/errors';
import { objectStoreFromEnv } from '../lib/object-store';
import { type ReportDeps, type ReportResult, reconcileReport } from '../lib/reconcile-report';

export type { MetricsSink, ReportDeps, ReportEvent, ReportResult } from '../lib/reconcile-report';

/** What the inventory step hands on: `{"snapshotKey", "batchCount", "mode", "runId"}`. */
const event = z.object({
  snapshotKey: z.string(),
  batchCount: z.int().check(z.nonnegative()),
  mode: z.enum(['report', 'remediate']),
  runId: z.string(),
  executionId: executionIdSchema,
});

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new ConfigError(`${name} is not set: the reconcile-report function needs it`);
  return value;
};
const optional = <K extends string>(key: K, name: string): Partial<Record<K, string>> =>
  process.env[name] ? ({ [key]: process.env[name] } as Record<K, string>) : {};

/** Joins the run's findings into report.json, remediates in remediate mode, notifies; lib/reconcile-report.ts. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'reconcile-report',
  event,
  deps: (): ReportDeps => ({
    config: configFromEnv(),
    store: objectStoreFromEnv(process.env),
    sns: new SNSClient({}),
    sfn: new SFNClient({}),
    metrics: new Metrics({ namespace: 'OidcAccountOnboarding', serviceName: 'reconcile' }),
    topicArn: required('RECONCILE_TOPIC_ARN'),
    onboardingStateMachineArn: required('ONBOARDING_STATE_MACHINE_ARN'),
    ...optional('offboardingStateMachineArn', 'OFFBOARDING_STATE_MACHINE_ARN'),
    ...optional('refreshStateMachineArn', 'REFRESH_STATE_MACHINE_ARN'),
  }),
  run: (event, deps): Promise<ReportResult> => reconcileReport(event, deps),
});
