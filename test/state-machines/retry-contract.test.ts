import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { DEFAULT_ACCESS_ROLE_WAITS, MAX_ACCESS_ROLE_WAIT_SECONDS } from '../../functions/lib/config';
import * as errors from '../../functions/lib/errors';
import { BATCH_SIZE, MAP_CONCURRENCY } from '../../functions/lib/reconcile';
import {
  type ErrorName,
  type FunctionContract,
  type FunctionName,
  familyOf,
  INTEGRATION_RETRIERS,
  RETRY_CONTRACT,
  RETRY_FAMILIES,
  type Retrier,
  retryableErrors,
} from '../../functions/lib/retry-contract';
import { buildDefinitionFromText, integrationOf } from '../../infra/state-machine-definition';
import { loadDefinition, ONBOARD_ACCOUNT_ASL, ONBOARD_ACCOUNT_SUBSTITUTIONS } from '../support/asl';

// The retry contract, Task by Task: every error a Task's function declares retryable (functions/lib/retry-contract.ts)
// is matched by a retrier of THAT Task, with its family's one policy; a Task retries nothing its function does not
// declare retryable; and the contract lists what each function's bundle can actually throw.

interface TaskState {
  Type: 'Task';
  Resource: string;
  TimeoutSeconds?: number;
  Parameters?: { FunctionName?: string };
  Retry?: Retrier[];
}
interface AnyState {
  Type: string;
  Seconds?: number;
  Choices?: Array<{ NumericGreaterThan?: number }>;
  Branches?: Machine[];
  ItemProcessor?: Machine;
  Iterator?: Machine;
}
interface Machine {
  TimeoutSeconds?: number;
  States: Record<string, AnyState | TaskState>;
}

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const MACHINES = {
  'onboard-account': { file: ONBOARD_ACCOUNT_ASL, substitutions: ONBOARD_ACCOUNT_SUBSTITUTIONS },
  'onboard-invited-account': {
    file: 'state-machines/onboard-invited-account.asl.json',
    substitutions: {
      ...ONBOARD_ACCOUNT_SUBSTITUTIONS,
      AccessRoleWaitSeconds: JSON.stringify(DEFAULT_ACCESS_ROLE_WAITS),
    },
  },
  'account-moved': { file: 'state-machines/account-moved.asl.json', substitutions: ONBOARD_ACCOUNT_SUBSTITUTIONS },
  'offboard-account': {
    file: 'state-machines/offboard-account.asl.json',
    substitutions: {
      ResolveDepartureFunctionArn: fn('resolve-departure'),
      OpenOffboardingPullRequestFunctionArn: fn('open-offboarding-pull-request'),
      FailureTopicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
    },
  },
  reconcile: {
    file: 'state-machines/reconcile.asl.json',
    substitutions: {
      InventoryFunctionArn: fn('reconcile-inventory'),
      CheckFunctionArn: fn('reconcile-check'),
      RepositoryFunctionArn: fn('reconcile-repo'),
      ReportFunctionArn: fn('reconcile-report'),
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
    },
  },
  refresh: {
    file: 'state-machines/refresh.asl.json',
    substitutions: {
      RefreshFunctionArn: fn('refresh'),
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:onboarding',
    },
  },
};
type MachineName = keyof typeof MACHINES;

/** The definition as deployed: the file, its integrations' retriers (the definition builder), substitutions. */
const deployed = (machine: MachineName): Machine =>
  loadDefinition(MACHINES[machine].file, MACHINES[machine].substitutions) as unknown as Machine;

/** Every Task state, nested ones (Parallel branches, Map item processors) included. */
function tasks(machine: Machine): Array<[string, TaskState]> {
  return Object.entries(machine.States).flatMap(([name, state]): Array<[string, TaskState]> => {
    const s = state as AnyState;
    const nested = [...(s.Branches ?? []), s.ItemProcessor, s.Iterator].flatMap((m) => (m ? tasks(m) : []));
    return state.Type === 'Task' ? [[name, state as TaskState], ...nested] : nested;
  });
}

/** The function a lambda:invoke Task invokes, by its folder name under functions/. */
const functionOf = (task: TaskState): string | undefined =>
  integrationOf(task.Resource) === 'lambda:invoke' ? task.Parameters?.FunctionName?.split(':function:')[1] : undefined;

const policyOf = ({ ErrorEquals: _, ...policy }: Retrier) => policy;
const sameRetrier = (a: Retrier, b: Retrier) => JSON.stringify(a) === JSON.stringify(b);

/** What is wrong with one Task against the contract; empty when it keeps it. */
function violations(name: string, task: TaskState): string[] {
  const found: string[] = [];
  const retry = task.Retry ?? [];
  if (task.TimeoutSeconds === undefined) found.push(`${name} has no TimeoutSeconds`);
  const integration = integrationOf(task.Resource) ?? task.Resource;
  const injected = INTEGRATION_RETRIERS[integration] ?? [];
  for (const retrier of injected) {
    if (!retry.some((r) => sameRetrier(r, retrier))) {
      found.push(`${name} lacks the ${integration} retrier for ${retrier.ErrorEquals.join(', ')}`);
    }
  }
  const functionName = functionOf(task);
  if (!functionName) return found;
  if (!(functionName in RETRY_CONTRACT)) return [...found, `${name} invokes ${functionName}, which has no contract`];
  const retryable: string[] = retryableErrors(functionName as FunctionName);
  const own = retry.filter((r) => !injected.some((i) => sameRetrier(r, i)));
  for (const error of retryable) {
    if (!own.some((r) => r.ErrorEquals.includes(error))) {
      found.push(`${name}: ${functionName} throws ${error}, declared retryable, but no retrier of ${name} matches it`);
    }
  }
  for (const retrier of own) {
    for (const error of retrier.ErrorEquals.filter((e) => !retryable.includes(e))) {
      found.push(`${name} retries ${error}, which ${functionName} does not declare retryable`);
    }
    const families = new Set(retrier.ErrorEquals.map(familyOf));
    const [family] = families;
    if (families.size !== 1 || !family) {
      found.push(`${name}: a retrier for ${retrier.ErrorEquals.join(', ')} mixes families or has none`);
    } else if (JSON.stringify(policyOf(retrier)) !== JSON.stringify(RETRY_FAMILIES[family].policy)) {
      found.push(`${name}: the ${family} retrier differs from RETRY_FAMILIES.${family}.policy`);
    }
  }
  return found;
}

describe.each(Object.keys(MACHINES) as MachineName[])('%s: the retry contract of each Task', (machineName) => {
  const machine = deployed(machineName);
  const all = tasks(machine);

  it.each(all.map(([name]) => name))(
    '%s retries exactly what its function declares retryable, by family, and has a timeout',
    (name) => {
      // Prepare
      const [, task] = all.find(([n]) => n === name) ?? [];

      // Act / Assess
      expect(task && violations(name, task)).toEqual([]);
    },
  );

  it('fails a Task whose retrier is removed, whichever it is', () => {
    // Act: the definition with one retrier of one Task removed, for each retrier of each Task
    const outcomes = all.flatMap(([name, task]) =>
      (task.Retry ?? []).map((removed, i) => {
        const mutated: TaskState = { ...task, Retry: (task.Retry ?? []).filter((_, j) => j !== i) };
        return { removed: `${name}[${removed.ErrorEquals.join(',')}]`, caught: violations(name, mutated).length > 0 };
      }),
    );

    // Assess
    expect(outcomes.length).toBeGreaterThanOrEqual(all.length);
    expect(outcomes.filter((o) => !o.caught)).toEqual([]);
  });

  it('fails a Task that stops matching one retryable error, whichever it is', () => {
    // Act
    const outcomes = all.flatMap(([name, task]) =>
      (task.Retry ?? []).flatMap((retrier, i) =>
        retrier.ErrorEquals.map((error) => {
          const narrowed = { ...retrier, ErrorEquals: retrier.ErrorEquals.filter((e) => e !== error) };
          const Retry = (task.Retry ?? []).map((r, j) => (j === i ? narrowed : r));
          return { dropped: `${name}: ${error}`, caught: violations(name, { ...task, Retry }).length > 0 };
        }),
      ),
    );

    // Assess
    expect(outcomes.filter((o) => !o.caught)).toEqual([]);
  });
});

describe('the gaps the per-Task check exists for', () => {
  it('names ResolveAccount when it does not retry AccountNotReady (PENDING_ACTIVATION)', () => {
    // Prepare
    const [[name, task]] = tasks(deployed('onboard-account')).filter(([n]) => n === 'ResolveAccount') as [
      [string, TaskState],
    ];
    const Retry = task.Retry?.filter((r) => !r.ErrorEquals.includes('AccountNotReady'));

    // Act
    const found = violations(name, { ...task, Retry });

    // Assess: EnsureCicdRole retrying AccountNotReady does not cover ResolveAccount
    expect(found).toEqual([
      'ResolveAccount: resolve-account throws AccountNotReady, declared retryable, but no retrier of ResolveAccount matches it',
    ]);
  });

  it('names every reconcile Task that does not retry AwsUnavailable', () => {
    // Prepare
    const all = tasks(deployed('reconcile'));
    const withoutAwsUnavailable = ([name, task]: [string, TaskState]): [string, TaskState] => [
      name,
      {
        ...task,
        Retry: task.Retry?.map((r) => ({ ...r, ErrorEquals: r.ErrorEquals.filter((e) => e !== 'AwsUnavailable') })),
      },
    ];

    // Act
    const found = all.map(withoutAwsUnavailable).flatMap(([name, task]) => violations(name, task));

    // Assess
    expect(found.filter((v) => v.includes('throws AwsUnavailable'))).toHaveLength(4);
  });
});

describe('one retry definition per error family', () => {
  /** A one-Task definition whose Task has the given retriers, as a file would write it. */
  const withRetry = (Retry: unknown[]) =>
    JSON.stringify({
      StartAt: 'Step',
      States: {
        Step: {
          Type: 'Task',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a definition substitution, as the files write it
          Resource: 'arn:${Partition}:states:::lambda:invoke',
          Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:step' },
          Retry,
          End: true,
        },
      },
    });
  const builtRetry = (Retry: unknown[]) =>
    (JSON.parse(buildDefinitionFromText(withRetry(Retry), 'probe.asl.json')) as Machine).States.Step as TaskState;

  it('writes no retry policy in any ASL file: each retrier names only its errors', () => {
    // Prepare
    const files = readdirSync('state-machines').filter((f) => f.endsWith('.asl.json'));

    // Act
    const written = files.flatMap((file) => {
      const retriers = tasks(JSON.parse(readFileSync(`state-machines/${file}`, 'utf8')) as Machine).flatMap(
        ([name, task]) => (task.Retry ?? []).map((r) => ({ at: `${file} ${name}`, keys: Object.keys(r) })),
      );
      return retriers.filter((r) => r.keys.join() !== 'ErrorEquals').map((r) => r.at);
    });

    // Assess
    expect(files).toHaveLength(Object.keys(MACHINES).length);
    expect(written).toEqual([]);
  });

  it("gives each retrier of a file its family's policy, after the integration's retriers", () => {
    // Act
    const task = builtRetry([
      { ErrorEquals: ['AccountNotReady'] },
      { ErrorEquals: ['AwsThrottled', 'AwsUnavailable'] },
    ]);

    // Assess
    expect(task.Retry).toEqual([
      ...(INTEGRATION_RETRIERS['lambda:invoke'] ?? []),
      { ErrorEquals: ['AccountNotReady'], ...RETRY_FAMILIES.accountNotReady.policy },
      { ErrorEquals: ['AwsThrottled', 'AwsUnavailable'], ...RETRY_FAMILIES.aws.policy },
    ]);
  });

  it.each([
    [
      'a retrier that writes its own policy',
      { ErrorEquals: ['AwsThrottled'], IntervalSeconds: 1 },
      'probe.asl.json: state Step: the retrier for AwsThrottled sets IntervalSeconds: a retrier names only its errors',
    ],
    [
      'a retrier of two families',
      { ErrorEquals: ['AwsThrottled', 'GitHubConflict'] },
      'the retrier for AwsThrottled, GitHubConflict must name the errors of exactly one family',
    ],
    [
      'a retrier of an error of no family',
      { ErrorEquals: ['States.ALL'] },
      'the retrier for States.ALL must name the errors of exactly one family',
    ],
    [
      'a retrier of an error the builder adds for the integration',
      { ErrorEquals: ['Lambda.ServiceException'] },
      'state Step retries Lambda.ServiceException, which the definition builder already retries for every lambda:invoke Task',
    ],
  ])('refuses %s, naming the state', (_case, retrier, message) => {
    // Act / Assess
    expect(() => builtRetry([retrier])).toThrow(message);
  });
});

describe('the contract and the functions', () => {
  const functionNames = readdirSync('functions', { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'lib')
    .map((d) => d.name)
    .sort();
  const errorNames = Object.values(errors).flatMap((value) =>
    typeof value === 'function' && value.prototype instanceof errors.OnboardingError
      ? [new (value as unknown as new (message: string) => Error)('probe').name]
      : [],
  );

  it('has a contract for every function, and every function is invoked by a Task', () => {
    // Act
    const invoked = (Object.keys(MACHINES) as MachineName[]).flatMap((m) =>
      tasks(deployed(m)).flatMap(([, t]) => functionOf(t) ?? []),
    );

    // Assess
    expect(Object.keys(RETRY_CONTRACT).sort()).toEqual(functionNames);
    expect([...new Set(invoked)].sort()).toEqual(functionNames);
  });

  it('gives each retryable error a family, and each family only named errors', () => {
    // Act
    const retryable = Object.keys(RETRY_CONTRACT).flatMap((f) => retryableErrors(f as FunctionName));
    const familyErrors = Object.values(RETRY_FAMILIES).flatMap((f) => [...f.errors]);

    // Assess
    expect(retryable.filter((e) => !familyOf(e))).toEqual([]);
    expect(familyErrors.filter((e) => !errorNames.includes(e))).toEqual([]);
  });

  it.each(functionNames)('lists every named error the %s bundle can construct, thrown or not', async (name) => {
    // Prepare: the project sources bundled into the function (packages stay external)
    const result = await build({
      entryPoints: [`functions/${name}/handler.ts`],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const sources = Object.keys(result.metafile.inputs).map((file) => readFileSync(file, 'utf8'));

    // Act
    const constructed = errorNames.filter((error) => sources.some((text) => text.includes(`new ${error}(`))).sort();
    const contract: FunctionContract = RETRY_CONTRACT[name as FunctionName];
    const declared = [...Object.keys(contract.throws), ...Object.keys(contract.neverThrown ?? {})] as ErrorName[];

    // Assess
    expect(declared.sort()).toEqual(constructed);
    expect(Object.keys(contract.throws).filter((e) => e in (contract.neverThrown ?? {}))).toEqual([]);
  });
});

describe('execution timeouts', () => {
  /** Longest a Task can take: every attempt runs to its TimeoutSeconds, every retrier waits its longest. */
  const worstCase = (task: TaskState): number => {
    const retries = (task.Retry ?? []).reduce((n, r) => n + r.MaxAttempts, 0);
    const waits = (task.Retry ?? []).reduce(
      (total, r) =>
        total +
        Array.from({ length: r.MaxAttempts }, (_, i) =>
          Math.min(r.IntervalSeconds * r.BackoffRate ** i, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY),
        ).reduce((a, b) => a + b, 0),
      0,
    );
    return (1 + retries) * (task.TimeoutSeconds ?? Number.NaN) + waits;
  };
  const taskIn = (machine: Machine, name: string): TaskState => {
    const found = tasks(machine).find(([n]) => n === name)?.[1];
    if (!found) throw new Error(`no Task ${name}`);
    return found;
  };

  it('lets an onboarding run every poll and retry on its way, and not much longer (7 h)', () => {
    // Prepare
    const machine = deployed('onboard-account');
    const task = (name: string) => taskIn(machine, name);
    const polls = (machine.States.CheckPollLimit as AnyState).Choices?.[0]?.NumericGreaterThan ?? Number.NaN;
    const wait = (machine.States.WaitForAccountCreation as AnyState).Seconds ?? Number.NaN;

    // Act: resolve, poll while CreateAccount runs, converge the role, open the PR, notify
    const budget =
      worstCase(task('ResolveAccount')) +
      polls * (wait + (task('ResolveAccount').TimeoutSeconds ?? Number.NaN)) +
      worstCase(task('EnsureCicdRole')) +
      worstCase(task('OpenPullRequest')) +
      Math.max(worstCase(task('NotifyInputFailure')), worstCase(task('NotifyAccountFailure')));

    // Assess
    expect(machine.TimeoutSeconds).toBe(7 * 3600);
    expect(budget).toBeLessThanOrEqual(machine.TimeoutSeconds ?? 0);
    expect(budget).toBeGreaterThan((machine.TimeoutSeconds ?? 0) / 1.5);
  });

  it('lets an invited account wait for its access role on the longest schedule allowed, and not much longer (4 days)', () => {
    // Prepare: the longest schedule the configuration accepts: 20 waits, 48 h in all
    const machine = deployed('onboard-invited-account');
    const task = (name: string) => taskIn(machine, name);
    const waits = 20;

    // Act: resolve, one call of ensure-cicd-role per wait and one more, the waits, open the PR, notify
    const budget =
      worstCase(task('ResolveAccount')) +
      (waits + 1) * worstCase(task('EnsureCicdRole')) +
      MAX_ACCESS_ROLE_WAIT_SECONDS +
      worstCase(task('OpenPullRequest')) +
      Math.max(worstCase(task('NotifyResolveFailure')), worstCase(task('NotifyAccountFailure')));

    // Assess
    expect(machine.TimeoutSeconds).toBe(4 * 24 * 3600);
    expect(budget).toBeLessThanOrEqual(machine.TimeoutSeconds ?? 0);
    expect(budget).toBeGreaterThan((machine.TimeoutSeconds ?? 0) / 1.5);
  });

  it('lets a moved account run every retry on its way, and not much longer (5 h)', () => {
    // Prepare
    const machine = deployed('account-moved');
    const task = (name: string) => taskIn(machine, name);

    // Act: resolve, converge the role, report, notify (the file report, or a failure)
    const budget =
      worstCase(task('ResolveAccount')) +
      worstCase(task('EnsureCicdRole')) +
      worstCase(task('OpenPullRequest')) +
      Math.max(worstCase(task('ReportProfileFiles')), worstCase(task('NotifyAccountFailure')));

    // Assess
    expect(budget).toBeLessThanOrEqual(machine.TimeoutSeconds ?? 0);
    expect(budget).toBeGreaterThan((machine.TimeoutSeconds ?? 0) / 1.5);
  });

  it('lets an offboarding run every retry on its way, and not much longer', () => {
    // Prepare
    const machine = deployed('offboard-account');
    const task = (name: string) => taskIn(machine, name);

    // Act: resolve, open the pull request, notify
    const budget =
      worstCase(task('ResolveDeparture')) +
      worstCase(task('OpenOffboardingPullRequest')) +
      worstCase(task('NotifyFailure'));

    // Assess
    expect(budget).toBeLessThanOrEqual(machine.TimeoutSeconds ?? 0);
    expect(budget).toBeGreaterThan((machine.TimeoutSeconds ?? 0) / 1.5);
  });

  it('lets a sweep of 10,000 accounts run every retry on its way, and not much longer (12 h)', () => {
    // Prepare
    const machine = deployed('reconcile');
    const task = (name: string) => taskIn(machine, name);
    const rounds = Math.ceil(10_000 / BATCH_SIZE / MAP_CONCURRENCY);
    const check = task('CheckBatch');

    // Act: inventory, then the batch checks (one batch at its worst) alongside the repository read, report, notify
    const checks = (rounds - 1) * (check.TimeoutSeconds ?? Number.NaN) + worstCase(check);
    const budget =
      worstCase(task('Inventory')) +
      Math.max(checks, worstCase(task('ReadRepository'))) +
      worstCase(task('Report')) +
      worstCase(task('NotifyFailure'));

    // Assess
    expect(machine.TimeoutSeconds).toBe(12 * 3600);
    expect(budget).toBeLessThanOrEqual(machine.TimeoutSeconds ?? 0);
    expect(budget).toBeGreaterThan((machine.TimeoutSeconds ?? 0) / 1.5);
  });
});
