/** What a service module of the stand-in declares: its protocol, how it is addressed and its operations. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from './credentials';
import type { AwsError, WireResponse } from './protocols';
import type { AwsState } from './state';

export interface OperationContext<Input> {
  state: AwsState;
  caller: Caller;
  input: Input;
  requestId: string;
}

export type QueryOperation = (context: OperationContext<URLSearchParams>) => Record<string, unknown> | undefined;
export type JsonOperation = (context: OperationContext<Record<string, unknown>>) => unknown;

interface ServiceBase {
  /** Signing name and call-log name: `iam`, `sts`, `organizations`, `sns`, `secretsmanager`. */
  name: string;
  throttlingError: () => AwsError;
  failureError: (status: 500 | 503) => AwsError;
}

export interface QueryService extends ServiceBase {
  protocol: 'query';
  version: string;
  namespace: string;
  operations: Record<string, QueryOperation>;
}

export interface JsonService extends ServiceBase {
  protocol: 'json';
  targetPrefix: string;
  operations: Record<string, JsonOperation>;
}

/** A REST request as a REST service sees it (S3): method, path, query, headers and the raw body. */
export interface RestRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type RestOperation = (context: OperationContext<RestRequest>) => WireResponse;

/** A REST service, addressed by the SigV4 credential scope's service (its `name`); it answers in its own format. */
export interface RestService extends ServiceBase {
  protocol: 'rest-xml';
  /** The operation a request asks for (call log, faults, dispatch). */
  actionOf(request: RestRequest): string;
  operations: Record<string, RestOperation>;
  errorResponse(error: AwsError, requestId: string, method: string): WireResponse;
}

export type Service = QueryService | JsonService | RestService;
