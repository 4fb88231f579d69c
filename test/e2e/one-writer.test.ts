/**
 * One writer per account creation (issue 12.1): both EventBridge events of one CreateAccount, in either order,
 * together, or with one lost, make exactly the four GitHub writes of one onboarding (tree, commit, branch, pull
 * request); the other execution ends `duplicate` before it touches IAM or GitHub.
 */
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  expect(env.github.standIn?.invalidRequests).toEqual([]);
});

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const githubWrites = () =>
  gh()
    .requests.filter((r) => r.contentCreating)
    .map((r) => r.route);
const createRoles = (accountId: string) =>
  aws().calls.filter((c) => c.service === 'iam' && c.accountId === accountId && c.action === 'CreateRole');
const eventName = (e: Record<string, unknown>) => (e.detail as { eventName?: string }).eventName;

type Order = 'call then result' | 'result then call' | 'together' | 'result only' | 'call only';

async function deliverBoth(name: string, order: Order) {
  const created = await env.createAccount(name);
  const call = created.events.find((e) => eventName(e) === 'CreateAccount') as Record<string, unknown>;
  const result = created.events.find((e) => eventName(e) === 'CreateAccountResult') as Record<string, unknown>;
  expect(call).toBeDefined();
  expect(result).toBeDefined();
  const before = githubWrites().length;
  const deliveries =
    order === 'together'
      ? await Promise.all([env.deliver(call), env.deliver(result)])
      : order === 'call only'
        ? [await env.deliver(call)]
        : order === 'result only'
          ? [await env.deliver(result)]
          : order === 'call then result'
            ? [await env.deliver(call), await env.deliver(result)]
            : [await env.deliver(result), await env.deliver(call)];
  return { accountId: created.accountId, deliveries, writes: githubWrites().slice(before) };
}

describe('one writer per account creation', () => {
  it.each<Order>(['call then result', 'result then call', 'together'])(
    'both events, %s: 4 GitHub writes in total, one role created, the other execution a duplicate',
    async (order) => {
      // Act
      const { accountId, deliveries, writes } = await deliverBoth(`workload-${order.replace(/ /g, '-')}`, order);

      // Assess
      expect(writes.sort()).toEqual(
        [
          'POST /repos/{owner}/{repo}/git/commits',
          'POST /repos/{owner}/{repo}/git/refs',
          'POST /repos/{owner}/{repo}/git/trees',
          'POST /repos/{owner}/{repo}/pulls',
        ].sort(),
      );
      expect(deliveries.map((d) => d.report?.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const outputs = deliveries.map((d) => {
        const outcome = d.report?.outcome;
        return (outcome?.status === 'SUCCEEDED' ? outcome.output : {}) as Record<string, unknown>;
      });
      expect(outputs.filter((o) => o.outcome === 'onboarded')).toHaveLength(1);
      expect(outputs.filter((o) => o.decision === 'duplicate')).toEqual([
        expect.objectContaining({ decision: 'duplicate', accountId, claimedBy: expect.any(String) }),
      ]);
      expect(createRoles(accountId)).toHaveLength(1);
      const pulls = (await gh().listPulls()) as Array<{ head: { ref: string } }>;
      expect(pulls.filter((p) => p.head.ref === `onboarding/${accountId}`)).toHaveLength(1);
    },
    60_000,
  );

  it.each<Order>(['call only', 'result only'])(
    'with the other event lost (%s): the one that arrives onboards the account with the same 4 writes',
    async (order) => {
      // Act
      const { accountId, deliveries, writes } = await deliverBoth(`workload-lost-${order.split(' ')[0]}`, order);

      // Assess
      expect(writes).toHaveLength(4);
      expect(deliveries[0]?.report?.outcome).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'onboarded' } });
      expect(createRoles(accountId)).toHaveLength(1);
    },
    60_000,
  );

  it('still runs a manual re-run after the events (it does not claim): it finds everything in place', async () => {
    // Prepare
    const { accountId } = await deliverBoth('workload-rerun-after-events', 'together');
    const before = githubWrites().length;

    // Act
    const rerun = await env.startExecution({ accountId });

    // Assess
    expect(rerun.outcome).toMatchObject({ status: 'SUCCEEDED', output: { pullRequest: { outcome: 'unchanged' } } });
    expect(githubWrites().length).toBe(before);
  }, 60_000);
});
