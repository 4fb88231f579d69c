/** What `startLocalEnvironment` (local/environment.ts) takes and gives: its options, the environment, its runs. */
import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig, OnboardingConfigInput } from '../../functions/lib/config';
import type { DriftSummary } from '../../functions/lib/drift';
import type { RemediationOutcome } from '../../functions/lib/reconcile';
import type { RefreshResult } from '../../functions/lib/refresh';
import type { ReportResult } from '../../functions/reconcile-report/handler';
import type { AwsStandIn, AwsStandInOptions } from '../aws/server';
import type { Credentials } from '../bootstrap';
import type { EventPattern } from '../event-pattern';
import type { GitHubStandIn } from '../github/server';
import type { IamEvaluation } from '../iam-evaluation';
import type { ExecutionReport } from '../step-functions';

export interface LocalEnvironmentOptions {
  /** Another AWS-compatible endpoint instead of the embedded stand-in (credentials from the environment). */
  awsEndpoint?: string;
  awsCredentials?: Credentials;
  /** Let `awsEndpoint` be AWS itself (`*.amazonaws.com`), where the run creates real accounts; refused otherwise. */
  allowRealAccounts?: boolean;
  /** Another GitHub-compatible REST API instead of the embedded stand-in, with `repo` as OWNER/NAME. */
  githubEndpoint?: string;
  repo?: string;
  githubToken?: string;
  /** `bundles`: the built Lambda bundles in dist/functions (npm start). `source`: the TypeScript handlers (tests). */
  handlers?: 'bundles' | 'source';
  /** Options of the embedded AWS stand-in (faults, creation timing). */
  aws?: Omit<AwsStandInOptions, 'organization'>;
  /** Overrides merged into the onboarding configuration. */
  config?: Partial<OnboardingConfigInput>;
  /** Keep the embedded git repository in this folder. */
  keepDir?: string;
  /**
   * Let each reconcile report start a refresh run that renders its drift on the dashboard, as deployed with
   * `dashboard.enabled` (REFRESH_STATE_MACHINE_ARN). Off by default, so a sweep's GitHub requests are its own.
   */
  refreshOnReconcile?: boolean;
}

export interface EventRule {
  id: string;
  pattern: EventPattern;
}

export interface Delivery {
  event: Record<string, unknown>;
  rule?: string;
  report?: ExecutionReport;
}

export interface RoleView {
  arn: string;
  trustPolicy: unknown;
  policies: string[];
  tags: Record<string, string>;
}

export interface CreatedAccount {
  requestId: string;
  accountId: string;
  events: Record<string, unknown>[];
}

export interface LocalEnvironment {
  config: OnboardingConfig;
  aws: {
    endpoint: string;
    standIn?: AwsStandIn;
    managementAccountId: string;
    toolingAccountId: string;
    credentials: Credentials;
  };
  github: {
    url: string;
    owner: string;
    repo: string;
    standIn?: GitHubStandIn;
    octokit: Octokit;
    /** Account ids the repository held before this environment started (folders and onboarding pull requests). */
    accountIds: ReadonlySet<string>;
  };
  /** IAM evaluation on the embedded stand-in (off with `aws: { iam: false }`): the functions' roles and decisions. */
  iam?: IamEvaluation;
  rules: EventRule[];
  /** What setting up changed or could not do on the endpoints (created organization, seeded repository…), to say. */
  notes: string[];
  /** Environment variables the functions run with (no secret values beyond the stand-in's own keys). */
  env: Record<string, string>;
  /** Starts one execution with this input, as StartExecution does. */
  startExecution(input: unknown, name?: string): Promise<ExecutionReport>;
  /** The onboarding state machine in the embedded stand-in's Step Functions (StartExecution runs `startExecution`). */
  onboardingStateMachineArn: string;
  /** The reconcile state machine, served by the AWS stand-in's Step Functions (embedded AWS only). */
  reconcileStateMachineArn: string;
  /** Delivers an event as EventBridge would: the first matching rule starts an execution with the event as input. */
  deliver(event: Record<string, unknown>): Promise<Delivery>;
  /** Calls CreateAccount and waits for the request to finish; returns the account id and the events it caused. */
  createAccount(name: string, options?: { email?: string }): Promise<CreatedAccount>;
  readRole(accountId: string): Promise<RoleView | undefined>;
  /**
   * Runs the reconcile state machine (state-machines/reconcile.asl.json) with the reconcile functions, as the
   * schedule would with `{"mode": mode}`; returns once the run and the onboarding executions it started have ended.
   */
  runReconcile(mode: 'report' | 'remediate', options?: ReconcileRunOptions): Promise<ReconcileRun>;
  /**
   * Runs the refresh state machine (state-machines/refresh.asl.json) with the refresh function, as the schedule
   * would; returns once the run and the onboarding executions it started (dashboard re-runs) have ended.
   */
  runRefresh(input?: Record<string, unknown>, options?: { executionName?: string }): Promise<RefreshRun>;
  /** The refresh state machine, served by the AWS stand-in's Step Functions (embedded AWS only). */
  refreshStateMachineArn: string;
  stop(): Promise<void>;
}

/** An execution a run started through StartExecution, once ended. */
export interface StartedExecution {
  name: string;
  input: unknown;
  status: string;
  output?: unknown;
  error?: string;
}

export interface RefreshRun {
  outcome: ExecutionReport['outcome'];
  states: string[];
  /** The refresh function's result; undefined when the run did not succeed. */
  result?: RefreshResult;
  /** The onboarding executions this run started (dashboard re-runs), all ended. */
  executions: Array<Omit<StartedExecution, 'output'>>;
}

export interface ReconcileRunOptions {
  /** Default `reconcile-<n>-<random>`. */
  executionName?: string;
  /** `$$.Execution.StartTime` (the run id is its minute); default now. */
  startTime?: string;
}

/** report.json of a run, as the report step writes it. */
export interface ReconcileReportFile {
  runId: string;
  mode: 'report' | 'remediate';
  summary: DriftSummary;
  remediation: RemediationOutcome;
}

export interface ReconcileRun {
  outcome: ExecutionReport['outcome'];
  /** State names in the order they were entered (one `CheckBatch` per batch). */
  states: string[];
  retries: Record<string, number>;
  /** The report step's result; undefined when the run failed. */
  result?: ReportResult;
  report?: ReconcileReportFile;
  /** The onboarding executions this run started through StartExecution, all ended. */
  executions: StartedExecution[];
}
