/** Sections 2 and 3 of BENCHMARKS.md: API calls per onboarding against their floors and goals, end-to-end time. */
import type { CallCount, OnboardingMeasurements } from './onboarding';
import type { BenchReport } from './report';
import {
  awsOnboardingFloor,
  awsRerunFloor,
  type Cell,
  describeTally,
  type FloorItem,
  floorTotal,
  formatMs,
  githubOnboardingFloor,
  githubRerunFloor,
  median,
  renderTable,
} from './stats';

/** The call goals of issue #7. */
const GOALS = { newGithub: 10, newContentCreating: 4, rerunGithub: 5, newAws: 9 };
const NEW_GOALS = { github: GOALS.newGithub, cc: GOALS.newContentCreating, aws: GOALS.newAws };
const yesNo = (ok: boolean) => (ok ? 'yes' : 'no');

function floorList(items: FloorItem[]): string {
  return items.map((i) => `${i.call}${i.count === 1 ? '' : ` ×${i.count}`} (${i.why})`).join('; ');
}

/** The floors of an onboarding in this organization: new (cold and warm containers) and a re-run. */
function onboardingFloors(o: OnboardingMeasurements) {
  const ouDepth = o.ouPath.split('/').length - 1;
  const policies = o.policies.length;
  return {
    awsNewCold: awsOnboardingFloor({ ouDepth, policies, coldContainer: true }),
    awsNewWarm: awsOnboardingFloor({ ouDepth, policies, coldContainer: false }),
    awsRerun: awsRerunFloor({ ouDepth, coldContainer: false }),
    ghNew: githubOnboardingFloor(),
    ghRerun: githubRerunFloor(),
  };
}
type Floors = ReturnType<typeof onboardingFloors>;

function callRow(
  c: CallCount,
  awsFloor: number,
  githubFloor: number,
  goals: { github?: number; cc?: number; aws?: number },
): Cell[] {
  return [
    c.label,
    c.awsTotal,
    awsFloor,
    goals.aws ?? '',
    c.githubTotal,
    githubFloor,
    goals.github ?? '',
    c.githubContentCreating,
    goals.cc ?? '',
    c.outcome,
  ];
}

function callsTable(o: OnboardingMeasurements, f: Floors): string {
  const [coldNew, pairSecond, warmNew, rerun] = o.counts;
  const rows: Cell[][] = [];
  if (coldNew) rows.push(callRow(coldNew, floorTotal(f.awsNewCold), floorTotal(f.ghNew), NEW_GOALS));
  if (warmNew) rows.push(callRow(warmNew, floorTotal(f.awsNewWarm), floorTotal(f.ghNew), NEW_GOALS));
  if (rerun) rows.push(callRow(rerun, floorTotal(f.awsRerun), floorTotal(f.ghRerun), { github: GOALS.rerunGithub }));
  if (pairSecond) rows.push(callRow(pairSecond, floorTotal(f.awsRerun) + 1, floorTotal(f.ghRerun), {}));
  const aws = ['AWS calls', 'AWS floor', 'AWS goal'];
  const github = ['GitHub calls', 'GitHub floor', 'GitHub goal', 'content-creating', 'c-c goal'];
  return renderTable(['execution', ...aws, ...github, 'outcome'], rows);
}

function within(c: CallCount | undefined, aws: number | undefined, gh: number, cc: number | undefined): string {
  return c
    ? `AWS ${c.awsTotal}${aws === undefined ? '' : ` ≤ ${aws}: ${yesNo(c.awsTotal <= aws)}`}; GitHub ${c.githubTotal} ≤ ${gh}: ${yesNo(c.githubTotal <= gh)}${cc === undefined ? '' : `; content-creating ${c.githubContentCreating} ≤ ${cc}: ${yesNo(c.githubContentCreating <= cc)}`}`
    : 'not measured';
}

function floorLines(f: Floors): string[] {
  return [
    `- AWS, new onboarding: ${floorList(f.awsNewCold)}. With the OU one below the root: ${floorTotal(f.awsNewWarm)} calls, ${floorTotal(f.awsNewCold)} in a cold open-pull-request container.`,
    `- AWS, re-run that changes nothing: ${floorList(f.awsRerun)} = ${floorTotal(f.awsRerun)}. The CreateAccount-call execution adds DescribeCreateAccountStatus ×1 (floor ${floorTotal(f.awsRerun) + 1}).`,
    `- GitHub, new onboarding: ${floorList(f.ghNew)} = ${floorTotal(f.ghNew)} calls, ${f.ghNew.filter((i) => i.call.startsWith('POST')).length} content-creating (the branch needs a tree, a commit and a ref; the PR is the fourth write).`,
    `- GitHub, re-run that changes nothing: ${floorList(f.ghRerun)} = ${floorTotal(f.ghRerun)}, none content-creating.`,
  ];
}

export function callsSection(r: BenchReport): string[] {
  const o = r.onboarding;
  const policies = o.policies.length;
  const [coldNew, , warmNew, rerun] = o.counts;
  const floors = onboardingFloors(o);
  return [
    '## 2. API calls per onboarding',
    '',
    `An account created in \`${o.ouPath}\` (one OU below the root) with ${policies} managed polic${policies === 1 ? 'y' : 'ies'} configured (${o.policies.join(', ')}). The account is created by the AWS stand-in as Organizations does (a CreateAccount request that completes and emits the \`CreateAccount\` CloudTrail call event and the \`CreateAccountResult\` service event); each event is delivered through the synthesized EventBridge rules to the onboarding state machine with the built bundles. Calls are the requests the stand-ins themselves received between the start and the end of the execution (\`aws.standIn.calls\`, \`github.standIn.requests\`; content-creating = any non-GET request, as GitHub's secondary limits count them). Nothing else talks to the stand-ins meanwhile.`,
    '',
    'Floors (the fewest calls that can do the job, derived from what the job must read and write):',
    '',
    ...floorLines(floors),
    '',
    callsTable(o, floors),
    '',
    'Against the goals of issue #7:',
    '',
    `- new onboarding, cold containers: ${within(coldNew, GOALS.newAws, GOALS.newGithub, GOALS.newContentCreating)}`,
    `- new onboarding, warm containers: ${within(warmNew, GOALS.newAws, GOALS.newGithub, GOALS.newContentCreating)}`,
    `- re-run that changes nothing: ${within(rerun, undefined, GOALS.rerunGithub, undefined)}`,
    '',
    'GetSecretValue is made once per cold open-pull-request container (the GitHub client is cached for the life of the container), so it appears in the cold row only. In AWS both EventBridge rules match a CreateAccount: the execution started by the call event polls until the account exists and then re-runs the steps, which find the role and the pull request in place (last row); its calls come on top of the new onboarding.',
    '',
    'Calls by action:',
    '',
    ...o.counts.flatMap((c) => [`- ${c.label}: AWS ${describeTally(c.aws)}; GitHub ${describeTally(c.github)}`]),
  ];
}

export function e2eSection(r: BenchReport): string[] {
  const s = r.onboarding.e2eMs;
  return [
    '## 3. End-to-end onboarding time (stand-ins)',
    '',
    `${s.length} new accounts, one after another, each created in \`${r.onboarding.ouPath}\`; time from handing the \`CreateAccountResult\` event to the rules until the execution finished (resolve-account, ensure-cicd-role, open-pull-request on the built bundles, warm containers, Wait states and retry intervals overridden to 0, the GitHub stand-in writing a real git repository and validating each request against GitHub's OpenAPI description). The stand-ins have no network latency, so this is the tool's own time, not what AWS and GitHub would take.`,
    '',
    renderTable(
      ['runs', 'median', 'min', 'max', 'samples (ms)'],
      [
        [
          s.length,
          formatMs(median(s)),
          formatMs(Math.min(...s)),
          formatMs(Math.max(...s)),
          s.map((v) => v.toFixed(0)).join(', '),
        ],
      ],
    ),
  ];
}
