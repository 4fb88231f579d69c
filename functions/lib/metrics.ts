import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every metric of this solution (the reconcile sweep publishes DriftedAccounts there too). */
export const METRICS_NAMESPACE = 'OidcAccountOnboarding';
/** Value of the `service` dimension Powertools adds to the onboarding functions' metrics. */
export const ONBOARDING_METRICS_SERVICE = 'onboarding';

/** Counts published by the onboarding functions; failures come from the state machine's ExecutionsFailed. */
export const ONBOARDING_METRIC = {
  /** The pull request step finished: opened, updated, unchanged or already onboarded. */
  onboarded: 'AccountsOnboarded',
  /** resolve-account decided to leave the account alone (management, suspended, excluded). */
  skipped: 'AccountsSkipped',
} as const;

/** The part of Powertools Metrics the handlers use; tests pass a recorder instead. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
  addMetadata(key: string, value: string): void;
  publishStoredMetrics(): void;
}

/** The metrics of the onboarding functions, written to the function log in CloudWatch embedded metric format. */
export const onboardingMetrics = (): Metrics =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: ONBOARDING_METRICS_SERVICE });

/**
 * Publishes one count right away (one EMF line), with the account and execution as metadata so the line can be
 * found from the metric. A missing sink (unit tests that do not care) publishes nothing.
 */
export function countOnce(
  metrics: MetricsSink | undefined,
  name: string,
  metadata: Readonly<Record<string, string | undefined>>,
): void {
  if (!metrics) return;
  metrics.addMetric(name, MetricUnit.Count, 1);
  for (const [key, value] of Object.entries(metadata)) if (value !== undefined) metrics.addMetadata(key, value);
  metrics.publishStoredMetrics();
}
