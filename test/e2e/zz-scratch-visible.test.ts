import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
let env: LocalEnvironment;
beforeAll(async () => { env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } }); }, 60_000);
afterAll(async () => { await env?.stop(); });
it('time based', async () => {
  const created = await env.createAccount('workload-late-02');
  env.aws.standIn?.setFaults({ roleVisibleAfterMs: 2000 });
  const t = Date.now();
  const runs = await Promise.all([1, 2].map(() => env.startExecution({ accountId: created.accountId })));
  console.log(Date.now() - t, JSON.stringify(runs.map((r) => [r.outcome.status, (r.outcome as any).error, r.retries])));
});
