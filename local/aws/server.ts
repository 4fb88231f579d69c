/**
 * The embedded AWS stand-in: one HTTP endpoint on 127.0.0.1 that the unmodified AWS SDK v3 clients reach through
 * `AWS_ENDPOINT_URL`. Requests are routed by the SigV4 credential scope's service (REST services: S3), by
 * `X-Amz-Target` (JSON services) or by `Action` + `Version` (query services), authenticated by their SigV4 access
 * key (which names the caller's account and role), authorized as IAM would (authorization.ts: identity, resource,
 * session and service control policies), then answered in the service's own wire format.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize } from './authorization';
import {
  type AuthorizationSettings,
  authorizationSettings,
  readServiceControlPolicies,
  type ServiceControlPolicies,
} from './authorization-settings';
import type { Caller, Credentials } from './credentials';
import type { AwsEvent, EventListener } from './event-bus';
import { FaultInjector, type FaultOptions, type ScriptedFault } from './faults';
import { AwsError, jsonError, queryError, type WireResponse } from './protocols';
import { answerError, authenticate, invoke, readBody, route } from './requests';
import { SEED, seedOrganization } from './seed';
import { AwsState, type CallRecord } from './state';

export type { Credentials } from './credentials';
export type { AwsEvent } from './event-bus';
export type { FaultOptions, ScriptedFault } from './faults';
export type { CallRecord } from './state';
export { AwsState } from './state';

export interface AwsStandInOptions {
  /** Member access role created in every new account (default `OrganizationAccountAccessRole`). */
  accessRoleName?: string;
  /** Region in ARNs of regional resources (default `us-east-1`). */
  region?: string;
  /** When a CreateAccount request completes: after `completeAfterMs` (default 100) and/or `inProgressPolls` polls. */
  createAccount?: { completeAfterMs?: number; inProgressPolls?: number };
  /** Check SigV4 signatures against the issued secret keys (default true). */
  verifySignatures?: boolean;
  faults?: FaultOptions;
  /**
   * `seeded` (default): an organization with OUs, the tooling account and its pipeline role, two workload accounts.
   * `none`: the credentials' account belongs to no organization (Organizations answers AWSOrganizationsNotInUse)
   * until it calls CreateOrganization, and nothing is seeded, as a fresh AWS-compatible endpoint would be.
   */
  organization?: 'seeded' | 'none';
  /**
   * IAM evaluation of every request (local/aws/authorization.ts), on by default; `false` turns it off (signatures
   * and trust policies are still checked). SCPs of the organization come from `serviceControlPolicies` or a file.
   */
  iam?: false | { serviceControlPolicies?: ServiceControlPolicies; scpFile?: string };
}

/** What every stand-in offers; one started with `organization: 'none'` offers only this. */
export interface BareAwsStandIn {
  url: string;
  port: number;
  region: string;
  state: AwsState;
  /** Long-term credentials of an administrator of the management account. */
  credentials: Credentials;
  /** Every request, in order: `{ service, action, accountId, status }`. */
  calls: CallRecord[];
  /** Every EventBridge event emitted so far. */
  events: AwsEvent[];
  onEvent(listener: EventListener): () => void;
  /** IAM evaluation: on/off, resource policies, topic keys, SCPs, and every denial (see authorization-settings.ts). */
  authorization: AuthorizationSettings;
  /** Replaces the fault settings; `setFaults({})` turns every fault off. */
  setFaults(faults: FaultOptions): void;
  /** Answers the next matching call(s) with an error. */
  failNext(fault: ScriptedFault): void;
  /** Client configuration for the AWS SDK (defaults to the management credentials). */
  clientConfig(credentials?: Credentials): { region: string; endpoint: string; credentials: Credentials };
  /** Environment variables for code that builds its own clients (`new IAMClient({})`). */
  env(credentials?: Credentials): Record<string, string>;
  stop(): Promise<void>;
}

/** A stand-in with the seeded organization. */
export interface AwsStandIn extends BareAwsStandIn {
  accounts: { management: string; tooling: string; workloads: [string, string] };
  organization: {
    id: string;
    rootId: string;
    organizationalUnits: { security: string; workloads: string; prod: string; dev: string };
  };
  /** `GitHubAction-AssumeRoleWithAction` in the tooling account. */
  pipelineRoleArn: string;
  /** A seeded SNS topic in the management account. */
  topicArn: string;
}

/** The state the stand-in starts with: seeded (or outside any organization), its IAM evaluation settings and faults. */
function initialState(options: AwsStandInOptions, region: string) {
  const state = new AwsState(
    {
      region,
      accessRoleName: options.accessRoleName ?? 'OrganizationAccountAccessRole',
      completeAfterMs: options.createAccount?.completeAfterMs,
      inProgressPolls: options.createAccount?.inProgressPolls,
    },
    { id: SEED.management, name: 'management', email: 'aws+management@example.com' },
  );
  const seeded = options.organization === 'none' ? undefined : seedOrganization(state);
  if (!seeded) state.organization.inUse = false;
  const authorization = authorizationSettings(state);
  authorization.enabled = options.iam !== false;
  if (options.iam) {
    authorization.serviceControlPolicies = options.iam.scpFile
      ? readServiceControlPolicies(options.iam.scpFile)
      : (options.iam.serviceControlPolicies ?? { policies: [] });
  }
  const faults = new FaultInjector();
  const setFaults = (settings: FaultOptions) => {
    faults.configure(settings);
    state.knobs.newAccountAssumableAfter = settings.newAccountAssumableAfter ?? 0;
    state.knobs.roleInvisibleReads = settings.roleInvisibleReads ?? 0;
    state.knobs.roleVisibleAfterMs = settings.roleVisibleAfterMs ?? 0;
  };
  setFaults(options.faults ?? {});
  return { state, seeded, authorization, faults, setFaults };
}

/** Answers one request: route, authenticate, inject faults, authorize, invoke; every error in the service's format. */
function requestHandler(state: AwsState, faults: FaultInjector, verifySignatures: boolean) {
  return async (request: IncomingMessage): Promise<{ response: WireResponse; call: CallRecord }> => {
    const requestId = randomUUID();
    const body = await readBody(request);
    const routed = route(request, body);
    if (routed instanceof AwsError) {
      const response = request.headers['x-amz-target'] ? jsonError(routed, requestId) : queryError(routed, requestId);
      return { response, call: { service: 'unknown', action: '', accountId: undefined, status: routed.status } };
    }
    const { service, action, input } = routed;
    let caller: Caller | undefined;
    let response: WireResponse;
    try {
      const record = authenticate(state, service, request, body, verifySignatures);
      caller = record.caller;
      const injected = faults.faultFor(service, action, caller.accountId);
      if (injected) throw injected;
      await authorize(state, service, action, input, record);
      response = invoke(routed, { state, caller, requestId });
    } catch (error) {
      if (!(error instanceof AwsError)) console.error(`AWS stand-in: ${service.name}:${action} failed`, error);
      const known = error instanceof AwsError ? error : service.failureError(500);
      response = answerError(service, known, requestId, request.method ?? 'POST');
    }
    const call = {
      service: service.name,
      action,
      accountId: caller?.accountId,
      status: response.status,
      callerArn: caller?.arn,
    };
    return { response, call };
  };
}

/** An HTTP server on 127.0.0.1 (a free port) that logs every call and writes each answer. */
async function listen(state: AwsState, handle: ReturnType<typeof requestHandler>): Promise<Server> {
  const server = createServer((request: IncomingMessage, reply: ServerResponse) => {
    handle(request)
      .then(({ response, call }) => {
        state.calls.push(call);
        // A HEAD answer states the length of what GET would send (S3 HeadObject) and sends no body.
        const length = response.headers['content-length'] ?? Buffer.byteLength(response.body);
        reply.writeHead(response.status, { ...response.headers, 'content-length': length });
        reply.end(response.body);
      })
      .catch((error: unknown) => {
        console.error('AWS stand-in: request failed', error);
        reply.writeHead(500).end();
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

export function startAwsStandIn(options: AwsStandInOptions & { organization: 'none' }): Promise<BareAwsStandIn>;
export function startAwsStandIn(options?: AwsStandInOptions): Promise<AwsStandIn>;
export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn | BareAwsStandIn> {
  const region = options.region ?? 'us-east-1';
  const { state, seeded, authorization, faults, setFaults } = initialState(options, region);
  const credentials = state.credentials.issueCredentials(SEED.management);
  const server = await listen(state, requestHandler(state, faults, options.verifySignatures ?? true));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const bare: BareAwsStandIn = {
    url,
    port,
    region,
    state,
    credentials,
    authorization,
    calls: state.calls,
    events: state.bus.events,
    onEvent: (listener) => state.bus.onEvent(listener),
    setFaults,
    failNext: (fault) => faults.script(fault),
    clientConfig: (creds = credentials) => ({ region, endpoint: url, credentials: creds }),
    env: (creds = credentials) => ({
      AWS_ENDPOINT_URL: url,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    }),
    stop: async () => {
      state.stopTimers();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  if (!seeded) return bare;
  return {
    ...bare,
    accounts: { management: SEED.management, tooling: SEED.tooling, workloads: [SEED.workloadProd, SEED.workloadDev] },
    organization: {
      id: state.organization.organizationId,
      rootId: state.organization.rootId,
      organizationalUnits: seeded.organizationalUnits,
    },
    pipelineRoleArn: seeded.pipelineRoleArn,
    topicArn: seeded.topicArn,
  };
}
