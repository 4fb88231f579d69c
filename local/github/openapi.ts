// Validates requests against the operations extracted from GitHub's official REST description
// (openapi-extract.json, made by extract-openapi.mjs). Schemas are compiled once per operation.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import extract from './openapi-extract.json';

interface ExtractedParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: object;
}

interface ExtractedOperation {
  method: string;
  path: string;
  operationId: string;
  parameters: ExtractedParameter[];
  requestBody?: { required: boolean; schema: object };
}

export interface RequestParts {
  path: Record<string, string>;
  query: Record<string, string>;
  /** undefined when the request had no body */
  body: unknown;
}

interface CompiledOperation {
  operationId: string;
  params: ValidateFunction;
  knownQuery: Set<string>;
  body?: ValidateFunction;
  bodyRequired: boolean;
}

function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const at = `${where}${error.instancePath}`;
    const extra = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues})` : '';
    return `${at} ${error.message}${extra}`;
  });
}

/** OpenAPI 3.0 `nullable: true` → JSON Schema's `null` type, which is what ajv understands. */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    converted[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, toJsonSchema(sub)]))
        : toJsonSchema(value);
  }
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') {
    const withNull: Record<string, unknown> = { ...converted, type: [converted.type, 'null'] };
    if (Array.isArray(converted.enum)) withNull.enum = [...converted.enum, null];
    return withNull;
  }
  return { anyOf: [converted, { type: 'null' }] };
}

let shared: OpenApiValidator | undefined;

/** One validator per process: compiling the schemas is the slow part. */
export function sharedValidator(): OpenApiValidator {
  shared ??= new OpenApiValidator();
  return shared;
}

export class OpenApiValidator {
  private readonly operations = new Map<string, CompiledOperation>();
  readonly source: string = extract.source;

  constructor() {
    // Path and query parameters arrive as strings, so they are coerced ("5" → 5) before checking; bodies are not.
    const paramsAjv = new Ajv({ strict: false, logger: false, allErrors: true, coerceTypes: true });
    const bodyAjv = new Ajv({ strict: false, logger: false, allErrors: true });
    addFormats(paramsAjv);
    addFormats(bodyAjv);
    for (const operation of extract.operations as ExtractedOperation[]) {
      const parameters = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
      const schema = {
        type: 'object',
        properties: Object.fromEntries(parameters.map((p) => [p.name, toJsonSchema(p.schema)])),
        required: parameters.filter((p) => p.required).map((p) => p.name),
      };
      this.operations.set(this.key(operation.method, operation.path), {
        operationId: operation.operationId,
        params: paramsAjv.compile(schema),
        knownQuery: new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name)),
        body: operation.requestBody && bodyAjv.compile(toJsonSchema(operation.requestBody.schema) as object),
        bodyRequired: operation.requestBody?.required ?? false,
      });
    }
  }

  private key(method: string, path: string): string {
    return `${method.toUpperCase()} ${path}`;
  }

  has(method: string, path: string): boolean {
    return this.operations.has(this.key(method, path));
  }

  /** Problems with the request as GitHub's description defines it; empty when it is valid. */
  validate(method: string, path: string, request: RequestParts): string[] {
    const operation = this.operations.get(this.key(method, path));
    if (!operation) return [`${this.key(method, path)} is not in the extracted description`];
    const problems: string[] = [];
    const params = { ...request.query, ...request.path };
    if (!operation.params(params)) problems.push(...describe('params', operation.params.errors));
    for (const name of Object.keys(request.query)) {
      if (!operation.knownQuery.has(name))
        problems.push(`query parameter ${name} is not defined for ${operation.operationId}`);
    }
    if (request.body === undefined) {
      if (operation.bodyRequired) problems.push(`${operation.operationId} requires a JSON body`);
    } else if (operation.body) {
      if (!operation.body(request.body)) problems.push(...describe('body', operation.body.errors));
    } else {
      problems.push(`${operation.operationId} takes no request body`);
    }
    return problems;
  }
}
