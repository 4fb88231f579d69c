import { type BenchReport, renderReport } from '../../local/bench/report';

const call = (label: string, aws: number, gh: number, cc: number, transitions: number) => ({
  label,
  aws: { 'organizations:DescribeAccount': aws - 1, 'sts:AssumeRole': 1 },
  awsTotal: aws,
  github: { 'GET /repos/{owner}/{repo}/git/ref': gh - cc, 'POST /repos/{owner}/{repo}/git/trees': cc },
  githubTotal: gh,
  githubContentCreating: cc,
  status: 'SUCCEEDED',
  outcome: 'onboarded',
  transitions,
});
const steps = { 'resolve-account': 12.3, 'ensure-cicd-role': 45.6, 'open-pull-request': 78.9 };
const recRun = (accounts: number, timed: boolean) => ({
  accounts,
  wallMs: accounts * 3.2,
  aws: { 'iam:GetRole': accounts },
  awsTotal: accounts + 5,
  github: { 'GET /tarball': 1 },
  githubTotal: 4,
  floorMs: accounts * 2.8,
  floorAwsTotal: accounts + 2,
  roleFloorMs: accounts * 2.5,
  overhead: 1.14,
  roleOverhead: 1.28,
  overheadRange: (timed ? [1.05, 1.3] : [1.14, 1.14]) as [number, number],
  transitions: 6 + Math.ceil(accounts / 100),
  ...(timed ? { handlerMs: { 'reconcile-inventory': accounts * 0.5, 'reconcile-check': accounts * 1.5 } } : {}),
  lambdaInvocations: 4 + Math.ceil(accounts / 100),
  status: 'SUCCEEDED',
});

const full: BenchReport = {
  generated: '2026-12-01T10:00:00.000Z',
  machine: 'linux/x64, Node.js v22, 2 CPU(s) (test), shared',
  quick: false,
  importRounds: 15,
  sizes: [
    { name: 'resolve-account', bytes: 400000, gzipBytes: 100000 },
    { name: 'open-pull-request', bytes: 900000, gzipBytes: 250000 },
  ],
  explained: {
    name: 'open-pull-request',
    byPackage: [
      { input: '@octokit/rest', bytes: 300000 },
      { input: '(project)', bytes: 100000 },
    ],
    byFile: [{ input: '/x/node_modules/@octokit/core/index.js', bytes: 50000 }],
    outputBytes: 900000,
  },
  floors: [
    { name: 'resolve-account', clients: ['@aws-sdk/client-organizations', '@aws-sdk/client-sts'], bytes: 350000 },
    { name: 'open-pull-request', clients: ['@octokit/rest'], bytes: 500000 },
  ],
  imports: [
    { name: 'resolve-account', samples: [100], medianMs: 100 },
    { name: 'resolve-account (floor)', samples: [80], medianMs: 80 },
    { name: 'open-pull-request', samples: [200], medianMs: 200 },
    { name: 'open-pull-request (floor)', samples: [100], medianMs: 100 },
    { name: '(empty module)', samples: [13], medianMs: 13 },
  ],
  onboarding: {
    ouPath: 'Root/Workloads',
    policies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    counts: [
      call('new, cold', 9, 10, 4, 7),
      call('pair second', 6, 3, 0, 5),
      call('new, warm', 8, 9, 4, 7),
      call('re-run', 5, 3, 0, 7),
    ],
    e2eMs: [120.4, 98.2, 101.7],
    handlerMs: { onboard: steps, rerun: { ...steps, 'open-pull-request': 20.1 } },
    transitions: { onboard: 7, rerun: 7 },
  },
  settings: {
    'resolve-account': { memoryMb: 256, architecture: 'arm64' },
    'ensure-cicd-role': { memoryMb: 256, architecture: 'arm64' },
    'open-pull-request': { memoryMb: 512, architecture: 'arm64' },
    'reconcile-inventory': { memoryMb: 512, architecture: 'arm64' },
    'reconcile-check': { memoryMb: 512, architecture: 'arm64' },
  },
  reconcile: { runs: [recRun(100, true), recRun(1000, false), recRun(5000, true)], concurrency: 5, notes: ['A note.'] },
  backfill: {
    accounts: 200,
    batchSize: 50,
    batches: 4,
    first: { seconds: 12, requests: 20, writes: 16, executions: 0, byRoute: { 'POST /git/trees': 4 }, exitCode: 0 },
    second: { seconds: 2, requests: 3, writes: 0, executions: 0, byRoute: { 'GET /git/ref': 1 }, exitCode: 0 },
  },
  refresh: {
    accounts: 20,
    merges: 5,
    mergesSucceeded: 5,
    refreshRuns: 5,
    pullWrites: 30,
    dashboardWrites: 6,
    naiveWrites: 200,
    floorWrites: 30,
    idleRequests: ['GET /git/ref 200'],
    matrixEntries: 20,
  },
  seconds: 321.4,
};

const minimal: BenchReport = {
  ...full,
  quick: true,
  explained: undefined,
  onboarding: { ...full.onboarding, counts: [call('new, cold', 12, 14, 5, 7)] },
  reconcile: 'not measured: reconcile runner not available',
  backfill: undefined,
  refresh: 'not measured: boom',
};

const section = (text: string, heading: string) => text.slice(text.indexOf(heading)).split(/\n(?=## )/)[0] ?? '';

describe('bench report (BENCHMARKS.md)', () => {
  it('writes the sections in order, backfill only when it was measured', () => {
    // Act
    const headings = (r: BenchReport) => renderReport(r).match(/^## \d+\./gm);

    // Assess
    expect(headings(full)).toEqual(['## 1.', '## 2.', '## 3.', '## 4.', '## 5.', '## 6.', '## 7.']);
    expect(headings(minimal)).toEqual(['## 1.', '## 2.', '## 3.', '## 4.', '## 5.', '## 7.']);
  });

  it('holds each bundle to 1.5× its floor and explains the largest bundle', () => {
    // Act
    const bundles = section(renderReport(full), '## 1.');

    // Assess
    expect(bundles).toMatch(/\| resolve-account .*\| 1\.25× ≤ 1\.5×: yes \|/);
    expect(bundles).toMatch(/\| open-pull-request .*\| 2\.00× > 1\.5×: NO {2}\|/);
    expect(bundles).toContain('350000 (organizations, sts)');
    expect(bundles).toContain('### Why open-pull-request is the largest');
    expect(section(renderReport(minimal), '## 1.')).not.toContain('### Why');
  });

  it('says whether each onboarding kept to the call goals of issue #7', () => {
    // Act
    const within = section(renderReport(full), '## 2.');
    const over = section(renderReport(minimal), '## 2.');

    // Assess
    expect(within).toContain(
      '- new onboarding, cold containers: AWS 9 ≤ 9: yes; GitHub 10 ≤ 10: yes; content-creating 4 ≤ 4: yes',
    );
    expect(within).toContain('- re-run that changes nothing: AWS 5; GitHub 3 ≤ 5: yes');
    expect(over).toContain(
      '- new onboarding, cold containers: AWS 12 ≤ 9: no; GitHub 14 ≤ 10: no; content-creating 5 ≤ 4: no',
    );
    expect(over).toContain('- new onboarding, warm containers: not measured');
  });

  it('prices untimed reconcile runs by their transitions only and models 1,000 and 10,000 accounts', () => {
    // Act
    const costs = section(renderReport(full), '## 5.');

    // Assess
    expect(costs).toMatch(/\| 1000 \(measured\) +\| +16 \| +14 \| not timed \| \$0\.000400 +\| n\/a +\| n\/a +\|/);
    expect(costs).toMatch(/\| 10000 \(model\) +\| +106 \|/);
    expect(costs).toContain('new onboarding, both rules (AWS)');
  });

  it('keeps the reason a reconcile was not measured and still models its transitions', () => {
    // Act
    const text = renderReport(minimal);

    // Assess
    expect(section(text, '## 4.')).toContain('not measured: reconcile runner not available');
    expect(section(text, '## 5.')).toContain(
      'not measured: reconcile runner not available. From the state machine alone:',
    );
  });
});
