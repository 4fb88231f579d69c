/**
 * Pure helpers of `npm run bench`: statistics, call tallies, the API-call floors, the cost model and the Markdown
 * table. Nothing here measures or reads the clock, so test/unit/bench.test.ts checks the arithmetic.
 */

/** Public list prices the cost model uses (us-east-1, free tiers ignored). Not fetched at run time. */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2026-11-26',
  source:
    'https://aws.amazon.com/step-functions/pricing/ and https://aws.amazon.com/lambda/pricing/ (as quoted in issue #7)',
  /** Step Functions Standard workflows: USD per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1000,
  /** Lambda on arm64, first tier: USD per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda: USD per request ($0.20 per 1M). */
  lambdaRequest: 0.2 / 1_000_000,
} as const;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `value / base`, or NaN when the base is 0. */
export function ratio(value: number, base: number): number {
  return base === 0 ? Number.NaN : value / base;
}

/** Occurrences of each key, keys in first-seen order. */
export function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** `Action ×n, …` from a tally. */
export function describeTally(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return 'none';
  return entries.map(([k, n]) => (n === 1 ? k : `${k} ×${n}`)).join(', ');
}

export interface FloorItem {
  call: string;
  count: number;
  why: string;
}

export const floorTotal = (items: readonly FloorItem[]): number => items.reduce((n, i) => n + i.count, 0);

/**
 * The fewest AWS calls a new onboarding can make: read the account, walk its OU path to the root (for the OU
 * filters and the repo folder), read its tags — twice, since ensure-cicd-role reads the account itself rather than
 * trust its input (filters applied as if invoked directly, and the organization id the trust requires) —, get into the
 * account, claim the account creation, create the role, attach each policy; plus the GitHub secret once per cold
 * container of open-pull-request.
 */
export function awsOnboardingFloor(opts: { ouDepth: number; policies: number; coldContainer: boolean }): FloorItem[] {
  const twice = 'by resolve-account, and again by ensure-cicd-role';
  const items: FloorItem[] = [
    { call: 'DescribeAccount', count: 2, why: `name, email, status and organization of the account, ${twice}` },
    { call: 'ListParents', count: 2 * (opts.ouDepth + 1), why: `one per level up to the root, ${twice}` },
    { call: 'DescribeOrganizationalUnit', count: 2 * opts.ouDepth, why: `name of each OU on the path, ${twice}` },
    { call: 'ListTagsForResource', count: 2, why: `tag filters, ${twice}` },
    { call: 'PutObject', count: 1, why: 'the account claim (one writer per account creation: a conditional put)' },
    { call: 'AssumeRole', count: 1, why: 'into the member access role' },
    {
      call: 'CreateRole',
      count: 1,
      why: 'with trust policy and managed tag in one call; for an account-creation event it is tried first, its EntityAlreadyExists answering "does cicd exist"',
    },
    { call: 'AttachRolePolicy', count: opts.policies, why: 'one per configured managed policy' },
    ...(opts.coldContainer
      ? [{ call: 'GetSecretValue', count: 1, why: 'GitHub credentials, once per cold open-pull-request container' }]
      : []),
  ];
  return items.filter((i) => i.count > 0);
}

/** The fewest AWS calls a re-run that changes nothing can make: the same reads, no writes. */
export function awsRerunFloor(opts: { ouDepth: number; coldContainer: boolean }): FloorItem[] {
  return [
    ...awsOnboardingFloor({ ouDepth: opts.ouDepth, policies: 0, coldContainer: opts.coldContainer }).filter(
      // A re-run by hand claims nothing: the claim is of an account creation's events.
      (i) => i.call !== 'CreateRole' && i.call !== 'PutObject',
    ),
    { call: 'GetRole', count: 1, why: 'the role as it is (trust policy, tags, boundary)' },
    { call: 'ListAttachedRolePolicies', count: 1, why: 'are the configured policies still attached' },
  ];
}

/** The fewest GitHub calls that open one pull request with one commit of new files and the edited workflow. */
export function githubOnboardingFloor(): FloorItem[] {
  return [
    { call: 'GET git/ref (base)', count: 1, why: 'base commit' },
    {
      call: 'GET tarball (base)',
      count: 1,
      why: "every account folder and the account its tfvars names (a folder is the account's only if it names it), and the workflow",
    },
    { call: 'GET pulls (open)', count: 1, why: "folders other accounts' open onboarding PRs claim" },
    { call: 'GET pulls (head=branch)', count: 1, why: 'an existing or declined onboarding PR' },
    { call: 'GET git/commits (base)', count: 1, why: 'the base tree the new tree builds on' },
    { call: 'POST git/trees', count: 1, why: 'content-creating' },
    { call: 'POST git/commits', count: 1, why: 'content-creating' },
    { call: 'POST git/refs', count: 1, why: 'content-creating' },
    { call: 'POST pulls', count: 1, why: 'content-creating' },
    {
      call: 'GET pulls (open)',
      count: 1,
      why: "a same-slug account's PR opened meanwhile (the lower number keeps the folder)",
    },
  ];
}

/** A re-run that finds its PR up to date: the reads of the plan, and the proof that the PR's head is the tool's. */
export function githubRerunFloor(): FloorItem[] {
  return [
    ...githubOnboardingFloor().slice(0, 4),
    { call: 'GET git/commits (PR head)', count: 1, why: "the head is the tool's own commit (identity and tree)" },
  ];
}

/** GB-seconds of one invocation: configured memory × duration (Lambda bills per 1 ms, rounded up). */
export function gbSeconds(memoryMb: number, durationMs: number): number {
  return (memoryMb / 1024) * (Math.ceil(durationMs) / 1000);
}

export interface CostInput {
  transitions: number;
  gbSeconds: number;
  lambdaRequests: number;
}

export interface Cost {
  stepFunctions: number;
  lambdaCompute: number;
  lambdaRequests: number;
  total: number;
}

export function cost(input: CostInput, prices: typeof PRICES = PRICES): Cost {
  const stepFunctions = input.transitions * prices.stateTransition;
  const lambdaCompute = input.gbSeconds * prices.lambdaGbSecond;
  const lambdaRequests = input.lambdaRequests * prices.lambdaRequest;
  return { stepFunctions, lambdaCompute, lambdaRequests, total: stepFunctions + lambdaCompute + lambdaRequests };
}

/** Least-squares line `y = intercept + slope·x` through the points (a single point: through the origin). */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): { intercept: number; slope: number } {
  if (points.length === 0) throw new Error('linearFit of no points');
  if (points.length === 1) {
    const [x, y] = points[0] as readonly [number, number];
    return { intercept: 0, slope: x === 0 ? 0 : y / x };
  }
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Step Functions bills every state entered and every retry as a transition. */
export function stateTransitions(report: { states: readonly string[]; retries: Record<string, number> }): number {
  return report.states.length + Object.values(report.retries).reduce((n, r) => n + r, 0);
}

/**
 * Reconcile transitions: Inventory, Sweep (the Parallel state), CheckBatches, ReadRepository, Report, Done, and one
 * CheckBatch per batch of 100.
 */
export function reconcileTransitions(accounts: number, batchSize = 100, fixed = 6): number {
  return fixed + Math.ceil(accounts / batchSize);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toPrecision(3)}`;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export type Cell = string | number;

/** A GitHub-flavoured Markdown table; numbers are right-aligned, columns padded so the text reads as a table too. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => headers.map((_, i) => String(row[i] ?? '').replace(/\|/g, '\\|')));
  const numeric = headers.map(
    (_, i) =>
      rows.some((row) => typeof row[i] === 'number') &&
      rows.every((row) => typeof row[i] === 'number' || row[i] === '' || row[i] === undefined),
  );
  const widths = headers.map((h, i) => Math.max(3, h.length, ...text.map((row) => (row[i] as string).length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number));
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}
