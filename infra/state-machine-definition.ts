/**
 * Builds a state machine definition from its ASL file, for CDK (definition-state-machine.ts) and for the local
 * runner (local/step-functions.ts) alike, so what the tests execute is what is deployed.
 *
 * What it adds, so that each retry policy is defined once (functions/lib/retry-contract.ts):
 * - the policy of each retrier the file writes: a file's retrier names only the errors a Task retries
 *   (`{"ErrorEquals": ["AwsThrottled", "AwsUnavailable"]}`), all of one family, and gets that family's policy from
 *   RETRY_FAMILIES;
 * - the retriers of each Task's service integration (INTEGRATION_RETRIERS: Lambda service errors and timeouts, SNS
 *   publish failures), first in the Task's `Retry`, as CDK's own LambdaInvoke task does.
 * `${Name}` placeholders are left for the definition substitutions. No CDK import: the local runner loads this too.
 */
import { readFileSync } from 'node:fs';
import {
  familyOf,
  INTEGRATION_RETRIERS,
  RETRY_FAMILIES,
  type Retrier,
  type RetryPolicy,
} from '../functions/lib/retry-contract';

/** A retrier as a file writes it: the errors only (the builder adds the family's policy). */
type FileRetrier = Pick<Retrier, 'ErrorEquals'> & Partial<RetryPolicy>;

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: FileRetrier[];
  Branches?: AslStates[];
  ItemProcessor?: AslStates;
  Iterator?: AslStates;
  [field: string]: unknown;
}

interface AslStates {
  States: Record<string, AslState>;
  [field: string]: unknown;
}

/** `lambda:invoke` of `arn:aws:states:::lambda:invoke` (or `arn:${Partition}:states:::lambda:invoke`). */
export function integrationOf(resource: unknown): string | undefined {
  return typeof resource === 'string' ? /^arn:[^:]+:states:::([^:.]+:[^:.]+)/.exec(resource)?.[1] : undefined;
}

/** The file's retrier with its family's policy; one that sets a policy itself, or is not one family's errors, is refused. */
function withFamilyPolicy({ ErrorEquals, ...policy }: FileRetrier, at: string): Retrier {
  const where = `${at}: the retrier for ${ErrorEquals.join(', ')}`;
  const contract = 'RETRY_FAMILIES in functions/lib/retry-contract.ts';
  if (Object.keys(policy).length > 0) {
    throw new Error(`${where} sets ${Object.keys(policy).join(', ')}: a retrier names only its errors (${contract})`);
  }
  const families = [...new Set(ErrorEquals.map(familyOf))];
  const [family] = families;
  if (families.length !== 1 || !family) {
    throw new Error(`${where} must name the errors of exactly one family of ${contract}`);
  }
  return { ErrorEquals: [...ErrorEquals], ...RETRY_FAMILIES[family].policy };
}

/** The retriers of one state as deployed: its integration's first, then the file's own with their policies. */
function retriersOf(name: string, state: AslState, where: string): Retrier[] | undefined {
  const integration = state.Type === 'Task' ? integrationOf(state.Resource) : undefined;
  const injected = INTEGRATION_RETRIERS[integration ?? ''] ?? [];
  const added = new Set(injected.flatMap((r) => r.ErrorEquals));
  const twice = (state.Retry ?? []).flatMap((r) => r.ErrorEquals).filter((error) => added.has(error));
  if (twice.length > 0) {
    throw new Error(
      `${where}: state ${name} retries ${twice.join(', ')}, which the definition builder already retries for every ${integration} Task (INTEGRATION_RETRIERS in functions/lib/retry-contract.ts)`,
    );
  }
  const own = (state.Retry ?? []).map((retrier) => withFamilyPolicy(retrier, `${where}: state ${name}`));
  const retriers = [...injected.map((r) => ({ ...r, ErrorEquals: [...r.ErrorEquals] })), ...own];
  return retriers.length > 0 ? retriers : undefined;
}

function addRetriers(machine: AslStates, where: string): void {
  for (const [name, state] of Object.entries(machine.States)) {
    for (const nested of [...(state.Branches ?? []), state.ItemProcessor, state.Iterator]) {
      if (nested) addRetriers(nested, where);
    }
    const retriers = retriersOf(name, state, where);
    if (retriers) state.Retry = retriers;
  }
}

/** The definition in `text` (from `where`) with its retriers' family policies and every Task's integration retriers. */
export function buildDefinitionFromText(text: string, where = 'definition'): string {
  const definition = JSON.parse(text) as AslStates;
  addRetriers(definition, where);
  return JSON.stringify(definition, null, 2);
}

/** The definition in the ASL file with its retriers' policies and every Task's integration retriers; placeholders untouched. */
export function buildDefinition(file: string): string {
  return buildDefinitionFromText(readFileSync(file, 'utf8'), file);
}
