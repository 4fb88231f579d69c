import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLAIM_RETENTION_DAYS, CLAIM_WINDOW_MS } from '../../functions/lib/account-claim';

/**
 * An execution that claims its account (resolve-account, account-claim.ts) holds the claim for longer than its state
 * machine can run, so no later event for the account takes it over while the execution still works on it (an
 * invited account's execution waits up to days for a person to create the access role).
 */

interface Asl {
  TimeoutSeconds?: number;
  States: Record<string, { Type: string; Parameters?: { FunctionName?: string; Payload?: Record<string, unknown> } }>;
}

const DIR = join(__dirname, '../../state-machines');
/** The substitution the state machines name resolve-account by. */
const RESOLVE_ACCOUNT = ['$', '{ResolveAccountFunctionArn}'].join('');
const resolving = readdirSync(DIR)
  .filter((f) => f.endsWith('.asl.json'))
  .map((file) => ({ file, asl: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Asl }))
  .flatMap(({ file, asl }) =>
    Object.values(asl.States)
      .filter((s) => s.Type === 'Task' && s.Parameters?.FunctionName === RESOLVE_ACCOUNT)
      .map((s) => ({ file, timeout: asl.TimeoutSeconds, window: s.Parameters?.Payload?.claimWindowSeconds })),
  );

describe('the claim window of each state machine that resolves an account', () => {
  it('covers the onboarding, invited and moved flows', () => {
    expect(resolving.map((r) => r.file).sort()).toEqual(
      expect.arrayContaining([
        'account-moved.asl.json',
        'onboard-account.asl.json',
        'onboard-invited-account.asl.json',
      ]),
    );
  });

  it.each(resolving)('$file holds its claim longer than it can run', ({ timeout, window }) => {
    // Prepare
    const windowSeconds = window === undefined ? CLAIM_WINDOW_MS / 1000 : window;

    // Assess
    expect(typeof timeout).toBe('number');
    expect(typeof windowSeconds).toBe('number');
    expect(windowSeconds as number).toBeGreaterThan(timeout as number);
    // The claims bucket keeps the claim object for longer than the claim holds.
    expect(windowSeconds as number).toBeLessThan(CLAIM_RETENTION_DAYS * 24 * 60 * 60);
  });
});
