/**
 * The embedded runtime behind `npm start` and the end-to-end tests: AWS and GitHub (embedded stand-ins or
 * endpoints given by the user), the organization and repository bootstrapped through their APIs, the EventBridge
 * rules of the synthesized stack, and the onboarding state machine run with aws-local-stepfunctions where each
 * Lambda task calls a real handler.
 */
import './polyfills';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetRoleCommand, ListAttachedRolePoliciesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  DescribeCreateAccountStatusCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { Octokit } from '@octokit/rest';
import { type OnboardingConfig, type OnboardingConfigInput, parseConfig } from '../functions/lib/config';
import type { DriftSummary } from '../functions/lib/drift';
import { AccountCreationFailed } from '../functions/lib/errors';
import { githubFetch } from '../functions/lib/github-client';
import { s3ObjectStore } from '../functions/lib/object-store';
import type { RemediationOutcome } from '../functions/lib/reconcile';
import type { RefreshResult } from '../functions/lib/refresh';
import { decodePolicyDocument } from '../functions/lib/trust-policy';
import type { ReportResult } from '../functions/reconcile-report/handler';
import { type AwsStandIn, type AwsStandInOptions, startAwsStandIn } from './aws/server';
import { stepFunctions } from './aws/states';
import {
  accountIdsInRepository,
  awsStep,
  bootstrapAws,
  type ClientConfig,
  type Credentials,
  memberIam,
  seedRepositoryIfEmpty,
} from './bootstrap';
import { type EventPattern, matchesEventPattern } from './event-pattern';
import { type GitHubStandIn, startGitHubStandIn } from './github/server';
import { type IamEvaluation, startIamEvaluation } from './iam-evaluation';
import { type LambdaRuntime, PLAIN_RUNTIME } from './lambda-runtime';
import { refuseRealAccounts } from './setup-errors';
import {
  type ExecutionReport,
  type Json,
  lambdaInvoke,
  ONBOARD_ACCOUNT_ASL,
  runOnboarding,
  runStateMachine,
  type StepHandler,
} from './step-functions';

export const LOCAL_REGION = 'us-east-1';
const FUNCTIONS = ['resolve-account', 'ensure-cicd-role', 'open-pull-request'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const RECONCILE_FUNCTIONS = ['reconcile-inventory', 'reconcile-check', 'reconcile-repo', 'reconcile-report'] as const;
type ReconcileFunction = (typeof RECONCILE_FUNCTIONS)[number];
/** A Lambda handler as invoked by the runtime: event and context. */
type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;
const ROOT = process.cwd();

export type { Credentials } from './bootstrap';

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
  createAccount(
    name: string,
    options?: { email?: string },
  ): Promise<{ requestId: string; accountId: string; events: Record<string, unknown>[] }>;
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

export interface RefreshRun {
  outcome: ExecutionReport['outcome'];
  states: string[];
  /** The refresh function's result; undefined when the run did not succeed. */
  result?: RefreshResult;
  /** The onboarding executions this run started (dashboard re-runs), all ended. */
  executions: Array<{ name: string; input: unknown; status: string; error?: string }>;
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
  executions: Array<{ name: string; input: unknown; status: string; output?: unknown; error?: string }>;
}

const randomSuffix = () => Math.random().toString(36).slice(2, 8);

export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  const stops: Array<() => Promise<void>> = [];
  refuseRealAccounts(options.awsEndpoint, options.allowRealAccounts);
  try {
    // AWS: the embedded stand-in or the given endpoint.
    const awsStandIn = options.awsEndpoint ? undefined : await startAwsStandIn(options.aws);
    if (awsStandIn) stops.push(() => awsStandIn.stop());
    const endpoint = options.awsEndpoint ?? (awsStandIn as AwsStandIn).url;
    const credentials: Credentials = awsStandIn
      ? awsStandIn.credentials
      : (options.awsCredentials ?? {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
          sessionToken: process.env.AWS_SESSION_TOKEN,
        });
    const clientConfig: ClientConfig = { region: LOCAL_REGION, endpoint, credentials, maxAttempts: 5 };
    const organizations = new OrganizationsClient(clientConfig);

    // GitHub: the embedded stand-in or the given API.
    const token = options.githubToken ?? process.env.GITHUB_TOKEN ?? `ghp_local${randomSuffix()}${randomSuffix()}`;
    let githubStandIn: GitHubStandIn | undefined;
    let githubUrl: string;
    let owner: string;
    let repo: string;
    if (options.githubEndpoint) {
      const [o, r] = (options.repo ?? '').split('/');
      if (!o || !r) throw new Error('--github-endpoint needs --repo OWNER/NAME');
      githubUrl = options.githubEndpoint.replace(/\/+$/, '');
      owner = o;
      repo = r;
    } else {
      githubStandIn = await startGitHubStandIn({ token, dir: options.keepDir });
      const standIn = githubStandIn;
      stops.push(() => standIn.stop());
      githubUrl = standIn.url;
      owner = standIn.owner;
      repo = standIn.repo;
    }
    const octokit = new Octokit({
      baseUrl: githubUrl,
      auth: token,
      request: { fetch: githubFetch() },
      // Every failed request is handled where it is made (a 404 for an empty repository is expected).
      log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
    });

    // The organization as the tool needs it, found or created through the API.
    const bootstrap = await bootstrapAws(clientConfig, organizations, token);
    const notes = [...bootstrap.notes];
    const config = parseConfig({
      toolingAccountId: bootstrap.toolingAccountId,
      managementAccountId: bootstrap.managementAccountId,
      externalId: 'oidc-account-onboarding',
      ...options.config,
      github: {
        owner,
        repo,
        apiUrl: githubUrl,
        pacing: false,
        auth: { type: 'token', secretArn: bootstrap.secretArn },
        ...options.config?.github,
      },
      terraform: { ...options.config?.terraform },
    });
    const repository = { octokit, url: githubUrl, owner, repo, standIn: githubStandIn };
    const seeded = await seedRepositoryIfEmpty(repository, bootstrap);
    if (seeded === 'seeded' && !githubStandIn) notes.push(`seeded ${owner}/${repo} with a Terraform repository`);
    // A repository that outlives this run (another endpoint, --keep) holds accounts of earlier runs: new accounts of
    // the embedded AWS must not get their ids, or onboarding them would rewrite those runs' pull requests.
    let accountIds = new Set<string>();
    if (seeded === 'existing') {
      const held = await accountIdsInRepository(repository, config);
      accountIds = held.ids;
      if (held.note) notes.push(held.note);
      awsStandIn?.state.reserveAccountIds(accountIds);
    }

    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
      ONBOARDING_CONFIG: JSON.stringify(config),
      POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // The SDK inside the functions retries quickly; the state machine owns the long retries.
      AWS_MAX_ATTEMPTS: '3',
      RECONCILE_BUCKET: await awsStep(clientConfig, 'create the reconcile bucket', () =>
        ensureBucket(clientConfig, `oidc-account-onboarding-reconcile-${bootstrap.managementAccountId}`),
      ),
      RECONCILE_TOPIC_ARN: bootstrap.topicArn,
      // The refresh keeps refresh/state.json in the reconcile bucket, as the stack deploys it.
      REFRESH_BUCKET: `oidc-account-onboarding-reconcile-${bootstrap.managementAccountId}`,
      CLAIMS_BUCKET: await ensureBucket(
        clientConfig,
        `oidc-account-onboarding-claims-${bootstrap.managementAccountId}`,
      ),
    };
    Object.assign(process.env, env);
    if (!credentials.sessionToken) delete process.env.AWS_SESSION_TOKEN;

    // IAM as deployed (local/iam-evaluation.ts): each function runs as its synthesized role and the stand-in
    // authorizes every call it makes. The state machine ARNs are the ones registered below.
    const iam = awsStandIn?.authorization.enabled
      ? await startIamEvaluation(awsStandIn, config, {
          topicArn: bootstrap.topicArn,
          bucket: env.RECONCILE_BUCKET as string,
          claimsBucket: env.CLAIMS_BUCKET as string,
          onboardingStateMachineArn: `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:onboard-account`,
          reconcileStateMachineArn: `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:reconcile`,
          offboardingStateMachineArn: `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:offboard-account`,
          refreshStateMachineArn: `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:refresh`,
        })
      : undefined;
    const handlers = await loadHandlers(FUNCTIONS, options.handlers ?? 'source', iam?.runtime);
    const rules = await synthesizedRules(config);
    const topicArn = bootstrap.topicArn;
    const sns = new SNSClient(clientConfig);

    let executions = 0;
    const startExecution = (input: unknown, name?: string) =>
      runOnboarding(
        input as Json,
        {
          resolveAccount: handlers['resolve-account'],
          ensureCicdRole: handlers['ensure-cicd-role'],
          openPullRequest: handlers['open-pull-request'],
          publish: async (message) => {
            const { PublishCommand } = await import('@aws-sdk/client-sns');
            await sns.send(
              new PublishCommand({ TopicArn: topicArn, Subject: message.Subject, Message: message.Message }),
            );
          },
        },
        { executionName: name ?? `local-${++executions}-${randomSuffix()}` },
      );

    const onboardingStateMachineArn = `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:onboard-account`;
    if (awsStandIn) {
      stepFunctions(awsStandIn.state).register(
        onboardingStateMachineArn,
        (input, name) => startExecution(input, name),
        {
          definitionFile: ONBOARD_ACCOUNT_ASL,
        },
      );
    }

    env.ONBOARDING_STATE_MACHINE_ARN = onboardingStateMachineArn;
    process.env.ONBOARDING_STATE_MACHINE_ARN = onboardingStateMachineArn;
    const refreshStateMachineArn = `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:refresh`;
    if (options.refreshOnReconcile) {
      env.REFRESH_STATE_MACHINE_ARN = refreshStateMachineArn;
      process.env.REFRESH_STATE_MACHINE_ARN = refreshStateMachineArn;
    } else {
      delete process.env.REFRESH_STATE_MACHINE_ARN;
    }
    let reconcileHandlers: Promise<Record<ReconcileFunction, StepHandler>> | undefined;
    let reconcileRuns = 0;
    const runReconcile = async (
      mode: 'report' | 'remediate',
      opts: ReconcileRunOptions = {},
    ): Promise<ReconcileRun> => {
      reconcileHandlers ??= loadHandlers(RECONCILE_FUNCTIONS, options.handlers ?? 'source', iam?.runtime);
      const fns = await reconcileHandlers;
      const sfn = awsStandIn && stepFunctions(awsStandIn.state);
      const startedBefore = sfn?.executions().length ?? 0;
      const run = await runStateMachine(
        RECONCILE_ASL,
        {
          InventoryFunctionArn: lambdaArn('reconcile-inventory'),
          CheckFunctionArn: lambdaArn('reconcile-check'),
          RepositoryFunctionArn: lambdaArn('reconcile-repo'),
          ReportFunctionArn: lambdaArn('reconcile-report'),
          TopicArn: topicArn,
        },
        {
          Inventory: lambdaInvoke(fns['reconcile-inventory']),
          CheckBatch: lambdaInvoke(fns['reconcile-check']),
          ReadRepository: lambdaInvoke(fns['reconcile-repo']),
          Report: lambdaInvoke(fns['reconcile-report']),
          NotifyFailure: async (params) => {
            const { PublishCommand } = await import('@aws-sdk/client-sns');
            const message = params as { TopicArn: string; Subject: string; Message: string };
            const published = await sns.send(
              new PublishCommand({ TopicArn: message.TopicArn, Subject: message.Subject, Message: message.Message }),
            );
            return { MessageId: published.MessageId ?? '' };
          },
        },
        { mode },
        {
          executionName: opts.executionName ?? `reconcile-${++reconcileRuns}-${randomSuffix()}`,
          startTime: opts.startTime,
        },
      );
      // Only the onboardings (and the dashboard's render): a sweep started through StartExecution must not wait for itself.
      await sfn?.settle(onboardingStateMachineArn);
      await sfn?.settle(refreshStateMachineArn);
      const executions = (sfn?.executions() ?? [])
        .slice(startedBefore)
        .filter((e) => e.stateMachineArn !== refreshStateMachineArn)
        .map((e) => ({
          name: e.name,
          input: JSON.parse(e.input) as unknown,
          status: e.status,
          ...(e.output === undefined ? {} : { output: JSON.parse(e.output) as unknown }),
          ...(e.error === undefined ? {} : { error: e.error }),
        }));
      if (run.outcome.status !== 'SUCCEEDED') return { ...run, executions };
      const result = run.outcome.output as unknown as ReportResult;
      const store = s3ObjectStore({
        client: new S3Client({ ...clientConfig, forcePathStyle: true }),
        bucket: env.RECONCILE_BUCKET as string,
      });
      const report = await store.getJson<ReconcileReportFile>(result.reportKey);
      return { ...run, result, report, executions };
    };

    // The reconcile state machine behind StartExecution too, so operators' tools (the CLI) can start sweeps.
    const reconcileStateMachineArn = `arn:aws:states:${LOCAL_REGION}:${bootstrap.managementAccountId}:stateMachine:reconcile`;
    if (awsStandIn) {
      stepFunctions(awsStandIn.state).register(
        reconcileStateMachineArn,
        async (input, name) => {
          const mode = (input as { mode?: string } | null)?.mode === 'remediate' ? 'remediate' : 'report';
          const run = await runReconcile(mode, { executionName: name });
          return { outcome: run.outcome, states: run.states, retries: run.retries };
        },
        { definitionFile: RECONCILE_ASL },
      );
    }

    // ---- refresh (functions/refresh): the schedule's runs, a reconcile report's render, by hand
    let refreshHandler: Promise<Record<'refresh', StepHandler>> | undefined;
    let refreshRuns = 0;
    const runRefresh = async (
      input: Record<string, unknown> = { when: config.refresh.when },
      opts: { executionName?: string } = {},
    ): Promise<RefreshRun> => {
      refreshHandler ??= loadHandlers(['refresh'] as const, options.handlers ?? 'source', iam?.runtime);
      const fns = await refreshHandler;
      const sfn = awsStandIn && stepFunctions(awsStandIn.state);
      const startedBefore = sfn?.executions().length ?? 0;
      const run = await runStateMachine(
        REFRESH_ASL,
        { RefreshFunctionArn: lambdaArn('refresh'), TopicArn: topicArn },
        {
          Refresh: lambdaInvoke(fns.refresh),
          NotifyFailure: async (params) => {
            const { PublishCommand } = await import('@aws-sdk/client-sns');
            const message = params as { TopicArn: string; Subject: string; Message: string };
            const published = await sns.send(
              new PublishCommand({ TopicArn: message.TopicArn, Subject: message.Subject, Message: message.Message }),
            );
            return { MessageId: published.MessageId ?? '' };
          },
        },
        input as Json,
        { executionName: opts.executionName ?? `refresh-${++refreshRuns}-${randomSuffix()}` },
      );
      await sfn?.settle(onboardingStateMachineArn);
      const executions = (sfn?.executions() ?? [])
        .slice(startedBefore)
        .filter((e) => e.stateMachineArn === onboardingStateMachineArn)
        .map((e) => ({
          name: e.name,
          input: JSON.parse(e.input) as unknown,
          status: e.status,
          ...(e.error === undefined ? {} : { error: e.error }),
        }));
      const result =
        run.outcome.status === 'SUCCEEDED' && (run.outcome.output as { outcome?: string } | null)?.outcome
          ? (run.outcome.output as unknown as RefreshResult)
          : undefined;
      return { outcome: run.outcome, states: run.states, ...(result ? { result } : {}), executions };
    };
    if (awsStandIn) {
      stepFunctions(awsStandIn.state).register(
        refreshStateMachineArn,
        async (input, name) => {
          const run = await runRefresh((input ?? {}) as Record<string, unknown>, { executionName: name });
          return { outcome: run.outcome, states: run.states, retries: {} };
        },
        { definitionFile: REFRESH_ASL },
      );
    }

    const deliver = async (event: Record<string, unknown>): Promise<Delivery> => {
      const rule = rules.find((r) => matchesEventPattern(event, r.pattern));
      if (!rule) return { event };
      const report = await startExecution(event, `${rule.id}-${String(event.id ?? randomSuffix()).slice(0, 36)}`);
      return { event, rule: rule.id, report };
    };

    const createAccount = async (name: string, opts: { email?: string } = {}) => {
      const collected: Record<string, unknown>[] = [];
      const unsubscribe = awsStandIn?.onEvent((e) => {
        collected.push(e as unknown as Record<string, unknown>);
      });
      try {
        const created = await organizations.send(
          new CreateAccountCommand({
            AccountName: name,
            Email: opts.email ?? `aws+${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomSuffix()}@example.com`,
          }),
        );
        const requestId = created.CreateAccountStatus?.Id as string;
        let status = created.CreateAccountStatus;
        for (let polls = 0; status?.State === 'IN_PROGRESS' && polls < 600; polls++) {
          await new Promise((r) => setTimeout(r, awsStandIn ? 5 : 1000));
          status = (
            await organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }))
          ).CreateAccountStatus;
        }
        if (status?.State !== 'SUCCEEDED' || !status.AccountId) {
          throw new AccountCreationFailed(
            `CreateAccount ${requestId} for ${name} ended ${status?.State}: ${status?.FailureReason ?? 'no reason given'} (expected SUCCEEDED with an account id)`,
          );
        }
        // Another endpoint emits no EventBridge events: build the CreateAccountResult one from the API's answer.
        const events = awsStandIn
          ? collected.filter((e) => JSON.stringify(e.detail).includes(`"${requestId}"`))
          : [createAccountResultEvent(bootstrap.managementAccountId, status)];
        return { requestId, accountId: status.AccountId, events };
      } finally {
        unsubscribe?.();
      }
    };

    const readRole = async (accountId: string): Promise<RoleView | undefined> => {
      const iam = await memberIam(clientConfig, accountId, config.memberAccessRoleNames);
      try {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: config.cicdRoleName }));
        const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: config.cicdRoleName }));
        return {
          arn: Role?.Arn ?? '',
          trustPolicy: decodePolicyDocument(Role?.AssumeRolePolicyDocument ?? '{}'),
          policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
          tags: Object.fromEntries((Role?.Tags ?? []).map((t) => [t.Key, t.Value])),
        };
      } catch (error) {
        if (error instanceof NoSuchEntityException) return undefined;
        throw error;
      }
    };

    return {
      config,
      aws: {
        endpoint,
        standIn: awsStandIn,
        managementAccountId: bootstrap.managementAccountId,
        toolingAccountId: bootstrap.toolingAccountId,
        credentials,
      },
      github: { url: githubUrl, owner, repo, standIn: githubStandIn, octokit, accountIds },
      iam,
      rules,
      notes,
      env,
      startExecution,
      onboardingStateMachineArn,
      deliver,
      createAccount,
      readRole,
      runReconcile,
      reconcileStateMachineArn,
      runRefresh,
      refreshStateMachineArn,
      stop: async () => {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw error;
  }
}

function createAccountResultEvent(
  managementAccountId: string,
  status: {
    Id?: string;
    AccountName?: string;
    AccountId?: string;
    State?: string;
    RequestedTimestamp?: Date;
    CompletedTimestamp?: Date;
  },
): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'AWS Service Event via CloudTrail',
    source: 'aws.organizations',
    account: managementAccountId,
    time: now,
    region: LOCAL_REGION,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: { accountId: managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: now,
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CreateAccountResult',
      awsRegion: LOCAL_REGION,
      requestParameters: null,
      responseElements: null,
      eventID: crypto.randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: managementAccountId,
      serviceEventDetails: {
        createAccountStatus: {
          id: status.Id,
          state: status.State,
          accountName: status.AccountName,
          accountId: status.AccountId,
          requestedTimestamp: status.RequestedTimestamp?.toISOString(),
          completedTimestamp: status.CompletedTimestamp?.toISOString(),
        },
      },
      eventCategory: 'Management',
    },
  };
}

/**
 * Lambda handlers: built bundles (what deploys) or the TypeScript sources (what jest can import). Sources get
 * fresh dependencies from `defaultDeps()`, so each environment's configuration and endpoints apply. `runtime` runs
 * each invocation (as its function's role under IAM evaluation) and says when a source handler starts cold.
 */
/** Each environment imports the bundles afresh: their module-scope clients hold the endpoints of the environment. */
let bundleImports = 0;

async function loadHandlers<N extends FunctionName | ReconcileFunction | 'refresh'>(
  names: readonly N[],
  kind: 'bundles' | 'source',
  runtime: LambdaRuntime = PLAIN_RUNTIME,
): Promise<Record<N, StepHandler>> {
  const instance = kind === 'bundles' ? ++bundleImports : 0;
  const entries = await Promise.all(
    names.map(async (name) => {
      if (kind === 'bundles') {
        const url = pathToFileURL(join(ROOT, 'dist', 'functions', name, 'index.mjs')).href;
        // The first import keeps the plain URL (what `npm start` and the bench's cold imports load).
        const mod = (await import(instance > 1 ? `${url}?environment=${instance}` : url)) as {
          handler: LambdaHandler;
        };
        return [name, (event: unknown) => runtime.invoke(name, () => mod.handler(event, lambdaContext(name)))] as const;
      }
      const mod = (await importSource(name)) as {
        makeHandler: (deps: unknown) => LambdaHandler;
        defaultDeps: () => unknown;
      };
      let container: { generation: number; handler: LambdaHandler } | undefined;
      const handler = () => {
        const generation = runtime.generation(name);
        if (container?.generation !== generation)
          container = { generation, handler: mod.makeHandler(mod.defaultDeps()) };
        return container.handler;
      };
      return [name, (event: unknown) => runtime.invoke(name, () => handler()(event, lambdaContext(name)))] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<N, StepHandler>;
}

function importSource(name: FunctionName | ReconcileFunction | 'refresh'): Promise<unknown> {
  // Literal paths, so that bundlers and jest see each import.
  switch (name) {
    case 'resolve-account':
      return import('../functions/resolve-account/handler');
    case 'ensure-cicd-role':
      return import('../functions/ensure-cicd-role/handler');
    case 'open-pull-request':
      return import('../functions/open-pull-request/handler');
    case 'reconcile-inventory':
      return import('../functions/reconcile-inventory/handler');
    case 'reconcile-check':
      return import('../functions/reconcile-check/handler');
    case 'reconcile-repo':
      return import('../functions/reconcile-repo/handler');
    case 'reconcile-report':
      return import('../functions/reconcile-report/handler');
    case 'refresh':
      return import('../functions/refresh/handler');
  }
}

function lambdaContext(name: string) {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  };
}

/** Builds the bundles when dist/ is missing or older than any source file. */
export async function ensureBundles(): Promise<'built' | 'fresh'> {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const marker = join(ROOT, 'dist', 'functions', FUNCTIONS[0], 'index.mjs');
  const fresh =
    FUNCTIONS.every((name) => existsSync(join(ROOT, 'dist', 'functions', name, 'index.mjs'))) &&
    statSync(marker).mtimeMs >= Math.max(newest(join(ROOT, 'functions')), newest(join(ROOT, 'templates')));
  if (fresh) return 'fresh';
  const build = (await import(pathToFileURL(join(ROOT, 'esbuild.config.mjs')).href)) as {
    buildFunctions(options?: { quiet?: boolean }): Promise<string[]>;
  };
  await build.buildFunctions({ quiet: true });
  return 'built';
}

/** The EventBridge rules of the synthesized onboarding stack, so the rules decide which events start executions. */
async function synthesizedRules(config: OnboardingConfig): Promise<EventRule[]> {
  const { App } = await import('aws-cdk-lib');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { OnboardingStack } = await import('../infra/onboarding-stack');
  const app = new App();
  const bundled = (name: string) => existsSync(join(ROOT, 'dist', 'functions', name, 'index.mjs'));
  const functionsDir = handlerNames().every(bundled) ? join(ROOT, 'dist', 'functions') : placeholderFunctions();
  const stack = new OnboardingStack(app, 'Local', { env: { region: LOCAL_REGION }, config, functionsDir });
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  // The onboarding rules only: the offboarding, invited and moved workflows' rules start other state machines
  // (local/offboarding.ts, local/lifecycle.ts).
  const onboarding = Object.entries(rules).filter(([id]) => !/^(Offboarding|Invited|Moved)/.test(id));
  return onboarding.map(([id, resource]) => ({
    id: id.replace(/[0-9A-F]{8}$/, ''),
    pattern: (resource as { Properties: { EventPattern: EventPattern } }).Properties.EventPattern,
  }));
}

const handlerNames = (): string[] =>
  readdirSync(join(ROOT, 'functions')).filter((name) => existsSync(join(ROOT, 'functions', name, 'handler.ts')));

function placeholderFunctions(): string {
  // Only the rules are read from this synth: a stand-in bundle per function (every functions/<name>/handler.ts).
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-functions-'));
  for (const name of handlerNames()) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  return dir;
}

// ---- reconcile ---------------------------------------------------------------------------------------------------

const RECONCILE_ASL = 'state-machines/reconcile.asl.json';
const REFRESH_ASL = 'state-machines/refresh.asl.json';

const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${name}`;

/** The reconcile run files' bucket, created through the S3 API when missing; returns its name. */
async function ensureBucket(clientConfig: ClientConfig, bucket: string): Promise<string> {
  try {
    await new S3Client({ ...clientConfig, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  return bucket;
}
