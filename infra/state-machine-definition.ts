/**
 * Builds a state machine definition from its ASL file, for CDK (definition-state-machine.ts) and for the local
 * runner (local/step-functions.ts) alike, so what the tests execute is what is deployed.
 *
 * The one thing it adds: the retriers of each Task's service integration (INTEGRATION_RETRIERS in
 * functions/lib/retry-contract.ts: Lambda service errors and timeouts, SNS publish failures), first in the Task's
 * `Retry`, as CDK's own LambdaInvoke task does. The file keeps the retriers of its functions' errors. `${Name}`
 * placeholders are left for the definition substitutions. No CDK import: the local runner loads this too.
 */
import { readFileSync } from 'node:fs';
import { INTEGRATION_RETRIERS, type Retrier } from '../functions/lib/retry-contract';

interface AslState {
  Type: string;
  Resource?: string;
  Retry?: Retrier[];
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

function addIntegrationRetriers(machine: AslStates, where: string): void {
  for (const [name, state] of Object.entries(machine.States)) {
    for (const nested of [...(state.Branches ?? []), state.ItemProcessor, state.Iterator]) {
      if (nested) addIntegrationRetriers(nested, where);
    }
    const injected = state.Type === 'Task' ? INTEGRATION_RETRIERS[integrationOf(state.Resource) ?? ''] : undefined;
    if (!injected) continue;
    const own = state.Retry ?? [];
    const added = new Set(injected.flatMap((r) => r.ErrorEquals));
    const twice = own.flatMap((r) => r.ErrorEquals).filter((error) => added.has(error));
    if (twice.length > 0) {
      throw new Error(
        `${where}: state ${name} retries ${twice.join(', ')}, which the definition builder already retries for every ${integrationOf(state.Resource)} Task (INTEGRATION_RETRIERS in functions/lib/retry-contract.ts)`,
      );
    }
    state.Retry = [...injected.map((r) => ({ ...r, ErrorEquals: [...r.ErrorEquals] })), ...own];
  }
}

/** The definition in `text` (from `where`) with the integration retriers added to every Task. */
export function buildDefinitionFromText(text: string, where = 'definition'): string {
  const definition = JSON.parse(text) as AslStates;
  addIntegrationRetriers(definition, where);
  return JSON.stringify(definition, null, 2);
}

/** The definition in the ASL file with the integration retriers added to every Task; placeholders untouched. */
export function buildDefinition(file: string): string {
  return buildDefinitionFromText(readFileSync(file, 'utf8'), file);
}
