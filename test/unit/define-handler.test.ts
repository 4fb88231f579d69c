import * as z from 'zod/mini';
import { accountIdSchema, defineHandler } from '../../functions/lib/define-handler';
import { InvalidInput } from '../../functions/lib/errors';

describe('defineHandler: the shape every Lambda handler shares', () => {
  const calls: string[] = [];
  const { makeHandler, defaultDeps, handler } = defineHandler({
    name: 'example',
    event: z.object({ accountId: accountIdSchema, executionId: z.optional(z.string()) }),
    deps: () => ({ prefix: 'production' }),
    run: async (event, deps) => {
      calls.push(`${deps.prefix}:${event.accountId}`);
      return { done: event.accountId };
    },
  });

  beforeEach(() => calls.splice(0));

  it('runs the step with the dependencies it is given and returns its result', async () => {
    await expect(makeHandler({ prefix: 'test' })({ accountId: '123456789012' })).resolves.toEqual({
      done: '123456789012',
    });
    expect(calls).toEqual(['test:123456789012']);
    expect(defaultDeps()).toEqual({ prefix: 'production' });
  });

  it('refuses an event outside its schema as InvalidInput naming the field, before the step runs', async () => {
    const run = handler({ accountId: '12345', executionId: 'arn:exec' });
    await expect(run).rejects.toBeInstanceOf(InvalidInput);
    await expect(run).rejects.toThrow(/example got an event it does not accept: accountId: expected a 12-digit/);
    await expect(handler(null)).rejects.toThrow(/Nothing was changed/);
    expect(calls).toEqual([]);
  });

  it('builds the production dependencies once per container', async () => {
    await handler({ accountId: '123456789012' });
    await handler({ accountId: '210987654321' });
    expect(calls).toEqual(['production:123456789012', 'production:210987654321']);
  });
});
