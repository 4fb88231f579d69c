/**
 * The embedded AWS stand-in: one HTTP endpoint on 127.0.0.1 that the unmodified AWS SDK v3 clients reach through
 * `AWS_ENDPOINT_URL`. Requests are routed by the SigV4 credential scope's service (REST services: S3), by
 * `X-Amz-Target` (JSON services) or by `Action` + `Version` (query services), authenticated by their SigV4 access
 * key (which names the caller's account and role), authorized as IAM would (authorization.ts: identity, resource,
 * session and service control policies), then answered in the service's own wire format.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize } from './authorization';
import {
  type AuthorizationSettings,
  authorizationSettings,
  readServiceControlPolicies,
  type ServiceControlPolicies,
} from './authorization-settings';
import { cloudTrailService } from './cloudtrail';
import type { Caller, CredentialRecord, Credentials } from './credentials';
import type { AwsEvent, EventListener } from './event-bus';
import { FaultInjector, type FaultOptions, type ScriptedFault } from './faults';
import { iamService } from './iam';
import { organizationsService } from './organizations';
import {
  AwsError,
  jsonError,
  jsonResponse,
  parseAuthorization,
  queryError,
  queryResponse,
  signatureMatches,
  type WireResponse,
} from './protocols';
import { s3Service } from './s3';
import { secretsManagerService } from './secrets-manager';
import { SEED, seedOrganization } from './seed';
import type { JsonService, QueryService, RestRequest, RestService, Service } from './service';
import { snsService } from './sns';
import { AwsState, type CallRecord } from './state';
import { statesService } from './states';
import { stsService } from './sts';

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

const SERVICES: Service[] = [
  iamService,
  stsService,
  snsService,
  organizationsService,
  secretsManagerService,
  statesService,
  s3Service,
  cloudTrailService,
];
const QUERY_BY_VERSION = new Map<string, QueryService>();
const QUERY_BY_NAME = new Map<string, QueryService>();
const JSON_BY_PREFIX = new Map<string, JsonService>();
const REST_BY_NAME = new Map<string, RestService>();
for (const service of SERVICES) {
  if (service.protocol === 'rest-xml') {
    REST_BY_NAME.set(service.name, service);
  } else if (service.protocol === 'query') {
    QUERY_BY_VERSION.set(service.version, service);
    QUERY_BY_NAME.set(service.name, service);
  } else {
    JSON_BY_PREFIX.set(service.targetPrefix, service);
  }
}

interface RoutedRequest {
  service: Service;
  action: string;
  input: URLSearchParams | Record<string, unknown> | RestRequest;
}

function route(request: IncomingMessage, body: Buffer): RoutedRequest | AwsError {
  // REST services (S3) name no operation in headers or body: the credential scope says which service it is.
  const rest = REST_BY_NAME.get(parseAuthorization(request.headers.authorization)?.service ?? '');
  if (rest) {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const input: RestRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
    };
    return { service: rest, action: rest.actionOf(input), input };
  }
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.indexOf('.');
    const service = JSON_BY_PREFIX.get(target.slice(0, dot));
    if (!service) return new AwsError('UnknownOperationException', 400, `The stand-in does not serve ${target}.`);
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return new AwsError('SerializationException', 400, 'Start of structure or map found where not expected.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return new AwsError('SerializationException', 400, 'Start of structure or map found where not expected.');
    }
    return { service, action: target.slice(dot + 1), input: input as Record<string, unknown> };
  }
  const params = new URLSearchParams(body.toString('utf8'));
  const action = params.get('Action') ?? '';
  const version = params.get('Version') ?? '';
  const signingName = parseAuthorization(request.headers.authorization)?.service;
  const service = QUERY_BY_VERSION.get(version) ?? (signingName ? QUERY_BY_NAME.get(signingName) : undefined);
  if (!service) {
    return new AwsError('InvalidAction', 400, `Could not find operation ${action} for version ${version}`);
  }
  return { service, action, input: params };
}

function answerError(service: Service | undefined, error: AwsError, requestId: string, method: string): WireResponse {
  if (service?.protocol === 'rest-xml') return service.errorResponse(error, requestId, method);
  return service?.protocol === 'json' ? jsonError(error, requestId) : queryError(error, requestId);
}

function authenticate(
  state: AwsState,
  service: Service,
  request: IncomingMessage,
  body: Buffer,
  verifySignatures: boolean,
): CredentialRecord {
  const json = service.protocol === 'json';
  const invalidToken = () =>
    new AwsError(
      json ? 'UnrecognizedClientException' : 'InvalidClientTokenId',
      json ? 400 : 403,
      'The security token included in the request is invalid.',
    );
  const auth = parseAuthorization(request.headers.authorization);
  if (!auth) {
    throw new AwsError(
      json ? 'MissingAuthenticationTokenException' : 'MissingAuthenticationToken',
      json ? 400 : 403,
      'Request is missing Authentication Token',
    );
  }
  const record = state.credentials.get(auth.accessKeyId);
  if (!record) throw invalidToken();
  if (record.sessionToken !== undefined && request.headers['x-amz-security-token'] !== record.sessionToken) {
    throw invalidToken();
  }
  if (record.expiration && record.expiration.getTime() < Date.now()) {
    throw new AwsError(
      json ? 'ExpiredTokenException' : 'ExpiredToken',
      json ? 400 : 403,
      'The security token included in the request is expired',
    );
  }
  const signed = { method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body };
  if (verifySignatures && !signatureMatches(auth, signed, record.secretAccessKey)) {
    throw new AwsError(
      json ? 'InvalidSignatureException' : 'SignatureDoesNotMatch',
      json ? 400 : 403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return record;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function startAwsStandIn(options: AwsStandInOptions & { organization: 'none' }): Promise<BareAwsStandIn>;
export function startAwsStandIn(options?: AwsStandInOptions): Promise<AwsStandIn>;
export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn | BareAwsStandIn> {
  const region = options.region ?? 'us-east-1';
  const verifySignatures = options.verifySignatures ?? true;
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
  const credentials = state.credentials.issueCredentials(SEED.management);
  const faults = new FaultInjector();

  const setFaults = (settings: FaultOptions) => {
    faults.configure(settings);
    state.knobs.newAccountAssumableAfter = settings.newAccountAssumableAfter ?? 0;
    state.knobs.roleInvisibleReads = settings.roleInvisibleReads ?? 0;
    state.knobs.roleVisibleAfterMs = settings.roleVisibleAfterMs ?? 0;
  };
  setFaults(options.faults ?? {});

  const handle = async (request: IncomingMessage): Promise<{ response: WireResponse; call: CallRecord }> => {
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
      if (service.protocol === 'rest-xml') {
        const operation = service.operations[action];
        if (!operation) throw new AwsError('NotImplemented', 501, `The stand-in does not serve ${action}.`);
        response = operation({ state, caller, input: input as RestRequest, requestId });
      } else if (service.protocol === 'query') {
        const operation = service.operations[action];
        if (!operation)
          throw new AwsError('InvalidAction', 400, `Could not find operation ${action} for version ${service.version}`);
        const result = operation({ state, caller, input: input as URLSearchParams, requestId });
        response = queryResponse(action, service.namespace, result, requestId);
      } else {
        const operation = service.operations[action];
        if (!operation) throw new AwsError('UnknownOperationException', 400, `Unknown operation ${action}`);
        const result = operation({ state, caller, input: input as Record<string, unknown>, requestId });
        response = jsonResponse(result, requestId);
      }
    } catch (error) {
      if (!(error instanceof AwsError)) console.error(`AWS stand-in: ${service.name}:${action} failed`, error);
      const known = error instanceof AwsError ? error : service.failureError(500);
      response = answerError(service, known, requestId, request.method ?? 'POST');
    }
    return {
      response,
      call: {
        service: service.name,
        action,
        accountId: caller?.accountId,
        status: response.status,
        callerArn: caller?.arn,
      },
    };
  };

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
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const clientConfig = (creds: Credentials = credentials) => ({ region, endpoint: url, credentials: creds });

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
    clientConfig,
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
    accounts: {
      management: SEED.management,
      tooling: SEED.tooling,
      workloads: [SEED.workloadProd, SEED.workloadDev],
    },
    organization: {
      id: state.organization.organizationId,
      rootId: state.organization.rootId,
      organizationalUnits: seeded.organizationalUnits,
    },
    pipelineRoleArn: seeded.pipelineRoleArn,
    topicArn: seeded.topicArn,
  };
}
