import { packageOf } from '../../local/bench/bundles';
import {
  awsOnboardingFloor,
  awsRerunFloor,
  cost,
  describeTally,
  floorTotal,
  gbSeconds,
  githubOnboardingFloor,
  githubRerunFloor,
  linearFit,
  median,
  PRICES,
  ratio,
  reconcileTransitions,
  renderTable,
  stateTransitions,
  tally,
} from '../../local/bench/stats';

describe('bench statistics', () => {
  it('takes the middle value of an odd sample and the mean of the two middle values of an even one', () => {
    // Prepare / Act / Assess
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses the median of no samples rather than printing a number', () => {
    // Act / Assess
    expect(() => median([])).toThrow('median of no values');
  });

  it('reports a ratio against a zero base as not a number', () => {
    // Act / Assess
    expect(ratio(110, 55)).toBe(2);
    expect(ratio(1, 0)).toBeNaN();
  });

  it('fits the line through measured points, so 1,000 and 10,000 accounts extrapolate from it', () => {
    // Prepare
    const points = [
      [100, 12],
      [1000, 102],
      [5000, 502],
    ] as const;
    // Act
    const fit = linearFit(points);
    // Assess
    expect(fit.slope).toBeCloseTo(0.1, 10);
    expect(fit.intercept).toBeCloseTo(2, 10);
    expect(linearFit([[200, 50]])).toEqual({ intercept: 0, slope: 0.25 });
  });
});

describe('bench call tallies and floors', () => {
  it('counts calls by action in first-seen order', () => {
    // Prepare
    const calls = [{ action: 'AssumeRole' }, { action: 'GetRole' }, { action: 'AssumeRole' }];
    // Act
    const counts = tally(calls, (c) => c.action);
    // Assess
    expect(counts).toEqual({ AssumeRole: 2, GetRole: 1 });
    expect(describeTally(counts)).toBe('AssumeRole ×2, GetRole');
    expect(describeTally({})).toBe('none');
  });

  it('puts the AWS floor of a new onboarding one OU below the root with one policy at 14 (the claim included), and 15 in a cold container', () => {
    // Act
    const warm = awsOnboardingFloor({ ouDepth: 1, policies: 1, coldContainer: false });
    const cold = awsOnboardingFloor({ ouDepth: 1, policies: 1, coldContainer: true });
    // Assess
    expect(floorTotal(warm)).toBe(14);
    expect(floorTotal(cold)).toBe(15);
    expect(cold.map((i) => i.call)).toContain('GetSecretValue');
    expect(warm.map((i) => i.call)).toContain('PutObject');
  });

  it('grows the AWS floor by four calls per OU level (two functions read the path) and one per policy', () => {
    // Act
    const atRoot = floorTotal(awsOnboardingFloor({ ouDepth: 0, policies: 1, coldContainer: false }));
    const twoDown = floorTotal(awsOnboardingFloor({ ouDepth: 2, policies: 3, coldContainer: false }));
    // Assess
    expect(atRoot).toBe(10);
    expect(twoDown).toBe(10 + 8 + 2);
  });

  it('makes the no-change re-run floor reads only: GetRole and ListAttachedRolePolicies, no CreateRole or AttachRolePolicy', () => {
    // Act
    const rerun = awsRerunFloor({ ouDepth: 1, coldContainer: false });
    // Assess
    expect(rerun.map((i) => i.call)).not.toContain('CreateRole');
    expect(rerun.map((i) => i.call)).not.toContain('AttachRolePolicy');
    expect(rerun.map((i) => i.call)).not.toContain('PutObject');
    expect(floorTotal(rerun)).toBe(13);
  });

  it('puts the GitHub floor at 10 calls with 4 writes for a new PR and 5 reads for a re-run (ownership reads every tfvars, the claims and the head)', () => {
    // Act
    const onboarding = githubOnboardingFloor();
    const rerun = githubRerunFloor();
    // Assess
    expect(floorTotal(onboarding)).toBe(10);
    expect(onboarding.filter((i) => i.call.startsWith('POST'))).toHaveLength(4);
    expect(floorTotal(rerun)).toBe(5);
    expect(rerun.every((i) => i.call.startsWith('GET'))).toBe(true);
  });
});

describe('bench cost model', () => {
  it('bills GB-seconds as memory in GB times the duration rounded up to the millisecond', () => {
    // Act / Assess
    expect(gbSeconds(512, 1000)).toBe(0.5);
    expect(gbSeconds(1024, 0.2)).toBe(0.001);
  });

  it('prices transitions, compute and requests at the stated list prices', () => {
    // Act
    const c = cost({ transitions: 1000, gbSeconds: 1, lambdaRequests: 1_000_000 });
    // Assess
    expect(c.stepFunctions).toBeCloseTo(0.025, 12);
    expect(c.lambdaCompute).toBeCloseTo(PRICES.lambdaGbSecond, 12);
    expect(c.lambdaRequests).toBeCloseTo(0.2, 12);
    expect(c.total).toBeCloseTo(0.025 + 0.0000133334 + 0.2, 12);
  });

  it('counts every state entered and every retry as a transition', () => {
    // Act / Assess
    expect(stateTransitions({ states: ['Init', 'ResolveAccount', 'Done'], retries: { ResolveAccount: 2 } })).toBe(5);
  });

  it('adds one CheckBatch transition per 100 accounts to the fixed reconcile states', () => {
    // Act / Assess
    expect(reconcileTransitions(1000)).toBe(16);
    expect(reconcileTransitions(10_000)).toBe(106);
    expect(reconcileTransitions(101)).toBe(8);
  });
});

describe('bench rendering', () => {
  it('renders a Markdown table with numeric columns right-aligned and pipes escaped', () => {
    // Act
    const table = renderTable(
      ['function', 'bytes'],
      [
        ['a|b', 10],
        ['c', 2000],
      ],
    );
    // Assess
    expect(table.split('\n')).toEqual([
      '| function | bytes |',
      '| -------- | ----: |',
      '| a\\|b     |    10 |',
      '| c        |  2000 |',
    ]);
  });

  it('attributes a bundle input to its package, scoped or not, or to the project', () => {
    // Act / Assess
    expect(packageOf('node_modules/@aws-sdk/client-s3/dist-cjs/index.js')).toBe('@aws-sdk/client-s3');
    expect(packageOf('node_modules/zod/v4/core/schemas.js')).toBe('zod');
    expect(packageOf('node_modules/a/node_modules/yaml/dist/index.js')).toBe('yaml');
    expect(packageOf('functions/lib/config.ts')).toBe('(project)');
  });
});
