import { CLAIM_WINDOW_MS, claimAccount, claimKey, memoryClaimStore } from '../../functions/lib/account-claim';

const ACCOUNT = '111122223333';
const NOW = new Date('2026-12-01T10:00:00Z');
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

describe('claimAccount: one writer per account creation', () => {
  it('gives the account to the first execution and ends the others as duplicates, whatever the order', async () => {
    // Prepare
    const store = memoryClaimStore();

    // Act
    const first = await claimAccount(store, ACCOUNT, 'exec-result', { now: NOW });
    const second = await claimAccount(store, ACCOUNT, 'exec-call', { now: new Date(NOW.getTime() + 5_000) });

    // Assess
    expect(first).toMatchObject({ claimed: true, claim: { executionId: 'exec-result' } });
    expect(second).toEqual({
      claimed: false,
      heldBy: {
        accountId: ACCOUNT,
        executionId: 'exec-result',
        claimedAt: NOW.toISOString(),
        expiresAt: new Date(NOW.getTime() + CLAIM_WINDOW_MS).toISOString(),
      },
    });
  });

  it('lets exactly one of many concurrent executions claim', async () => {
    // Prepare
    const store = memoryClaimStore();

    // Act
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((id) => claimAccount(store, ACCOUNT, `exec-${id}`, { now: NOW })),
    );

    // Assess
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const winner = results.find((r) => r.claimed);
    for (const r of results.filter((x) => !x.claimed)) {
      expect(r).toMatchObject({ heldBy: { executionId: winner?.claimed ? winner.claim.executionId : '' } });
    }
  });

  it('lets the claimant itself through again (a retried or redriven step)', async () => {
    // Prepare
    const store = memoryClaimStore();
    await claimAccount(store, ACCOUNT, 'exec-1', { now: NOW });

    // Act
    const again = await claimAccount(store, ACCOUNT, 'exec-1', { now: new Date(NOW.getTime() + 60_000) });

    // Assess
    expect(again).toMatchObject({ claimed: true, claim: { executionId: 'exec-1', claimedAt: NOW.toISOString() } });
  });

  it('replaces a claim older than the window (a later Control Tower update of the account)', async () => {
    // Prepare
    const store = memoryClaimStore();
    await claimAccount(store, ACCOUNT, 'exec-old', { now: NOW });
    const later = new Date(NOW.getTime() + CLAIM_WINDOW_MS + 1);

    // Act
    const results = await Promise.all([
      claimAccount(store, ACCOUNT, 'exec-new-1', { now: later }),
      claimAccount(store, ACCOUNT, 'exec-new-2', { now: later }),
    ]);

    // Assess: one of the two takes it over, conditionally on the version it read
    expect(results.map((r) => r.claimed).sort()).toEqual([false, true]);
    expect(JSON.parse(store.objects.get(claimKey(ACCOUNT))?.body ?? '{}')).toMatchObject({
      claimedAt: later.toISOString(),
    });
  });

  it("holds an invited account's claim for its own flow's window: a second event 9 h later is a duplicate", async () => {
    // Prepare: onboard-invited-account may wait days for a person to create the access role
    const store = memoryClaimStore();
    const invitedWindowMs = 4 * DAY + HOUR;
    await claimAccount(store, ACCOUNT, 'exec-invited', { now: NOW, windowMs: invitedWindowMs });

    // Act: another execution, with the default window, after the default window has passed
    const later = await claimAccount(store, ACCOUNT, 'exec-second-event', { now: new Date(NOW.getTime() + 9 * HOUR) });
    const afterItsWindow = await claimAccount(store, ACCOUNT, 'exec-much-later', {
      now: new Date(NOW.getTime() + invitedWindowMs + 1),
    });

    // Assess
    expect(later).toMatchObject({ claimed: false, heldBy: { executionId: 'exec-invited' } });
    expect(afterItsWindow).toMatchObject({ claimed: true, claim: { executionId: 'exec-much-later' } });
  });

  it('judges a claim written before claims recorded their expiry by the window', async () => {
    // Prepare
    const store = memoryClaimStore();
    const claimedAt = NOW.toISOString();
    await store.create(claimKey(ACCOUNT), JSON.stringify({ accountId: ACCOUNT, executionId: 'exec-old', claimedAt }));

    // Act
    const within = await claimAccount(store, ACCOUNT, 'exec-1', { now: new Date(NOW.getTime() + 7 * HOUR) });
    const after = await claimAccount(store, ACCOUNT, 'exec-2', { now: new Date(NOW.getTime() + 9 * HOUR) });

    // Assess
    expect(within.claimed).toBe(false);
    expect(after.claimed).toBe(true);
  });

  it('treats an unreadable claim object as expired', async () => {
    // Prepare
    const store = memoryClaimStore();
    await store.create(claimKey(ACCOUNT), 'not json');

    // Act
    const result = await claimAccount(store, ACCOUNT, 'exec-1', { now: NOW });

    // Assess
    expect(result.claimed).toBe(true);
  });
});
