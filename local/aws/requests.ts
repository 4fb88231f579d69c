/**
 * How a request reaches its operation: routed to its service by protocol (SigV4 scope, `X-Amz-Target`, or `Action` +
 * `Version`), authenticated by its access key, then invoked, with every error answered in the service's format.
 */
import type { IncomingMessage } from 'node:http';
import { cloudTrailService } from './cloudtrail';
import type { Caller, CredentialRecord } from './credentials';
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
import type { JsonService, QueryService, RestRequest, RestService, Service } from './service';
import { snsService } from './sns';
import type { AwsState } from './state';
import { statesService } from './states';
import { stsService } from './sts';

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

export interface RoutedRequest {
  service: Service;
  action: string;
  input: URLSearchParams | Record<string, unknown> | RestRequest;
}

export function route(request: IncomingMessage, body: Buffer): RoutedRequest | AwsError {
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

export function answerError(
  service: Service | undefined,
  error: AwsError,
  requestId: string,
  method: string,
): WireResponse {
  if (service?.protocol === 'rest-xml') return service.errorResponse(error, requestId, method);
  return service?.protocol === 'json' ? jsonError(error, requestId) : queryError(error, requestId);
}

export function authenticate(
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

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Runs the operation of an authenticated and authorized request and answers in the service's wire format. */
export function invoke(
  routed: RoutedRequest,
  context: { state: AwsState; caller: Caller; requestId: string },
): WireResponse {
  const { service, action, input } = routed;
  const { requestId } = context;
  if (service.protocol === 'rest-xml') {
    const operation = service.operations[action];
    if (!operation) throw new AwsError('NotImplemented', 501, `The stand-in does not serve ${action}.`);
    return operation({ ...context, input: input as RestRequest });
  }
  if (service.protocol === 'query') {
    const operation = service.operations[action];
    if (!operation)
      throw new AwsError('InvalidAction', 400, `Could not find operation ${action} for version ${service.version}`);
    return queryResponse(
      action,
      service.namespace,
      operation({ ...context, input: input as URLSearchParams }),
      requestId,
    );
  }
  const operation = service.operations[action];
  if (!operation) throw new AwsError('UnknownOperationException', 400, `Unknown operation ${action}`);
  return jsonResponse(operation({ ...context, input: input as Record<string, unknown> }), requestId);
}
