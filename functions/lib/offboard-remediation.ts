import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { rethrowAws } from './aws-errors';
import type { OrphanFolder } from './drift';
import type { AccountId } from './types';

/**
 * In `remediate` mode the sweep hands every orphan folder whose tfvars names an account that left the organization
 * (or is closed) to the offboard-account workflow: the same one pull request per account as a departure event gives.
 * A folder naming no account id is a person's to fix, and is only reported.
 */
export interface OffboardingsStarted {
  started: Array<{ accountId: AccountId; executionName: string }>;
  alreadyStarted: Array<{ accountId: AccountId; executionName: string }>;
  deferred: AccountId[];
}

export const offboardingExecutionName = (runId: string, accountId: AccountId): string =>
  `reconcile-${runId}-offboard-${accountId}`.slice(0, 80);

export async function startOffboardings(
  sfn: SFNClient,
  stateMachineArn: string,
  runId: string,
  orphans: OrphanFolder[],
  budget: number,
): Promise<OffboardingsStarted> {
  const ids = [...new Set(orphans.flatMap((o) => (o.accountId ? [o.accountId] : [])))].sort();
  const outcome: OffboardingsStarted = { started: [], alreadyStarted: [], deferred: [] };
  for (const [i, accountId] of ids.entries()) {
    if (i >= budget) {
      outcome.deferred.push(accountId);
      continue;
    }
    const executionName = offboardingExecutionName(runId, accountId);
    try {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: executionName,
          input: JSON.stringify({ accountId, trigger: 'reconcile' }),
        }),
      );
      outcome.started.push({ accountId, executionName });
    } catch (err) {
      if ((err as { name?: string }).name === 'ExecutionAlreadyExists') {
        outcome.alreadyStarted.push({ accountId, executionName });
        continue;
      }
      rethrowAws(err, `states:StartExecution ${executionName}`);
    }
  }
  return outcome;
}
