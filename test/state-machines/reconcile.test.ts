import { readFileSync } from 'node:fs';
import { parseConfig } from '../../functions/lib/config';
import { batchSizeFor, MAP_CONCURRENCY } from '../../functions/lib/reconcile';
import { type InventoryDeps, makeHandler as makeInventory } from '../../functions/reconcile-inventory/handler';
import { type Json, lambdaInvoke, runStateMachine } from '../support/asl';

const FILE = 'state-machines/reconcile.asl.json';
const SUBSTITUTIONS = {
  InventoryFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reconcile-inventory',
  CheckFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reconcile-check',
  RepositoryFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reconcile-repo',
  ReportFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:reconcile-report',
  TopicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
};

function handlers(
  batchCount: number,
  check: (event: { snapshotKey: string; batch: number }) => unknown,
  readRepository: (event: { snapshotKey: string }) => unknown = () => ({ repoKey: 'runs/test/repo.json' }),
) {
  const published: Json[] = [];
  const inventoryEvents: unknown[] = [];
  const repoEvents: unknown[] = [];
  const reportEvents: unknown[] = [];
  return {
    published,
    inventoryEvents,
    repoEvents,
    reportEvents,
    byState: {
      Inventory: lambdaInvoke((event) => {
        inventoryEvents.push(event);
        return {
          snapshotKey: 'runs/test/snapshot.json',
          batchCount,
          batches: Array.from({ length: batchCount }, (_, i) => i),
          accountCount: batchCount * 100,
          mode: 'report',
          runId: '202506010600',
        };
      }),
      CheckBatch: lambdaInvoke(check),
      ReadRepository: lambdaInvoke((event) => {
        repoEvents.push(event);
        return readRepository(event);
      }),
      Report: lambdaInvoke((event) => {
        reportEvents.push(event);
        return { mode: 'report', driftedAccounts: 1 };
      }),
      NotifyFailure: (params: Json) => {
        published.push(params);
        return { MessageId: 'm' };
      },
    },
  };
}

describe('reconcile state machine', () => {
  it('checks every batch once, passes only keys and counts between steps, and ends with the report', async () => {
    // Prepare
    const seen: number[] = [];
    const h = handlers(3, (event) => {
      seen.push(event.batch);
      return { batch: event.batch, checked: 100, drifted: 0, findings: 0 };
    });
    // Act
    const { outcome, states } = await runStateMachine(
      FILE,
      SUBSTITUTIONS,
      h.byState,
      { mode: 'report' },
      {
        executionName: 'daily',
      },
    );
    // Assess
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { mode: 'report', driftedAccounts: 1 } });
    expect(seen.sort()).toEqual([0, 1, 2]);
    expect(h.inventoryEvents).toEqual([
      // aws-local-stepfunctions sets $$.Execution.StartTime itself: the run's real start, as in AWS.
      {
        input: { mode: 'report' },
        execution: { name: 'daily', startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      },
    ]);
    expect(h.repoEvents).toEqual([{ snapshotKey: 'runs/test/snapshot.json' }]);
    expect(h.reportEvents).toEqual([
      { snapshotKey: 'runs/test/snapshot.json', batchCount: 3, mode: 'report', runId: '202506010600' },
    ]);
    expect(states.filter((s) => s === 'CheckBatch')).toHaveLength(3);
  });

  it('reads the repository alongside the batch checks, not before them', async () => {
    // Prepare: the repository read finishes only after a batch check has started
    let checkStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      checkStarted = resolve;
    });
    const order: string[] = [];
    const h = handlers(
      2,
      (event) => {
        order.push(`check ${event.batch}`);
        checkStarted();
        return { batch: event.batch, checked: 100, drifted: 0, findings: 0 };
      },
      async () => {
        await started;
        order.push('repository read');
        return { repoKey: 'runs/test/repo.json' };
      },
    );
    // Act
    const { outcome } = await runStateMachine(FILE, SUBSTITUTIONS, h.byState, {});
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(order[0]).toMatch(/^check /);
    expect(order).toContain('repository read');
    expect(h.reportEvents).toHaveLength(1);
  });

  it('rejects a null input with InvalidInput from the inventory, and notifies', async () => {
    // Prepare: the real inventory handler, which validates the input before it reads anything
    const h = handlers(1, (event) => ({ batch: event.batch, checked: 0, drifted: 0, findings: 0 }));
    const config = parseConfig({
      toolingAccountId: '111111111111',
      github: { owner: 'acme', repo: 'tf', auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:::secret:gh' } },
      terraform: {},
    });
    const inventory = makeInventory({ config } as InventoryDeps);

    // Act
    const { outcome, states } = await runStateMachine(
      FILE,
      SUBSTITUTIONS,
      { ...h.byState, Inventory: lambdaInvoke(inventory) },
      null,
    );

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(states).toEqual(['Init', 'Inventory', 'NotifyFailure', 'Failed']);
    expect((h.published[0] as { Subject: string }).Subject).toBe('AWS account reconciliation failed: InvalidInput');
  });

  it('notifies and fails when the repository cannot be read, without reporting', async () => {
    // Prepare
    const h = handlers(
      1,
      (event) => ({ batch: event.batch, checked: 100, drifted: 0, findings: 0 }),
      () => {
        throw Object.assign(new Error('no such repository'), { name: 'GitHubNotFound' });
      },
    );
    // Act
    const { outcome } = await runStateMachine(FILE, SUBSTITUTIONS, h.byState, {});
    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'GitHubNotFound' });
    expect(h.reportEvents).toHaveLength(0);
    expect((h.published[0] as { Subject: string }).Subject).toBe('AWS account reconciliation failed: GitHubNotFound');
  });

  it('checks as many batches at once as the inventory sizes them for, so a small organization fills every slot', () => {
    // Prepare
    const asl = JSON.parse(readFileSync(FILE, 'utf8')) as {
      States: { Sweep: { Branches: Array<{ States: Record<string, { MaxConcurrency?: number }> }> } };
    };
    const map = asl.States.Sweep.Branches.flatMap((b) => Object.values(b.States)).find((s) => s.MaxConcurrency);
    // Act
    const sizes = [100, 130, 1000, 20].map((accounts) => batchSizeFor(accounts, 10));
    // Assess
    expect(map?.MaxConcurrency).toBe(MAP_CONCURRENCY);
    expect(sizes).toEqual([20, 26, 100, 10]);
  });

  it('handles an organization with nothing to check (no batches)', async () => {
    const h = handlers(0, () => {
      throw new Error('no batch expected');
    });
    const { outcome } = await runStateMachine(FILE, SUBSTITUTIONS, h.byState, {});
    expect(outcome.status).toBe('SUCCEEDED');
  });

  it('retries a throttled batch, then notifies and fails with the error when it keeps failing', async () => {
    // Prepare
    let attempts = 0;
    const h = handlers(2, (event) => {
      if (event.batch === 0) return { batch: 0, checked: 1, drifted: 0, findings: 0 };
      attempts++;
      throw Object.assign(new Error('IAM throttled GetRole'), { name: 'AwsThrottled' });
    });
    // Act
    const { outcome, retries } = await runStateMachine(FILE, SUBSTITUTIONS, h.byState, {});
    // Assess
    expect(attempts).toBe(7);
    expect(retries.CheckBatch).toBe(6);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'AwsThrottled' });
    expect(h.published).toHaveLength(1);
    expect((h.published[0] as { Subject: string }).Subject).toBe('AWS account reconciliation failed: AwsThrottled');
  });
});
