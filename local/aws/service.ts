/** What a service module of the stand-in declares: its protocol, how it is addressed and its operations. */
import type { AwsError } from './protocols';
import type { AwsState, Caller } from './state';

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

export type Service = QueryService | JsonService;
