/**
 * `oidc-account-onboarding`: the operator's CLI (issue #6). Starts and follows onboarding executions, lists them,
 * runs the reconcile sweep, and plans an onboarding read-only. `main(argv, io)` returns the exit code:
 * 0 ok, 1 execution failed / drift found, 2 usage, 3 configuration or credentials.
 */
import { realpathSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { logger } from '../functions/lib/logger';
import { backfillCommand } from './backfill';
import { doctorCommand } from './doctor';
import { reconcileCommand, runCommand, statusCommand } from './executions';
import { planCommand } from './plan';
import { EXIT, type ExitCode, explain, type GlobalOptions, type Io, processIo } from './shared';

export type { Io } from './shared';
export { EXIT } from './shared';

const ENVIRONMENT = `
Environment:
  ONBOARDING_STATE_MACHINE_ARN   default of --state-machine-arn (the stack's OnboardingStateMachineArn output)
  RECONCILE_STATE_MACHINE_ARN    default of --reconcile-state-machine-arn (ReconcileStateMachineArn output)
  RECONCILE_BUCKET               default of reconcile --report-bucket
  GITHUB_TOKEN                   token plan reads the repository with (or --github-token-secret)
  AWS credentials                the SDK's usual chain (AWS_PROFILE, aws sso login, AWS_ACCESS_KEY_ID…)

Exit codes: 0 ok, 1 execution failed or drift found, 2 bad usage, 3 configuration or credentials problem.`;

function program(io: Io, setCode: (code: ExitCode) => void): Command {
  const cli = new Command('oidc-account-onboarding')
    .description('Onboard AWS accounts into the GitHub Actions + Terraform CI/CD (OIDC), and check on it.')
    .option('--json', 'print one JSON document instead of text', false)
    .option('--config <file>', "onboarding configuration (JSON of cdk.json's context.onboarding; default: cdk.json)")
    .option('--state-machine-arn <arn>', 'onboarding state machine (default: $ONBOARDING_STATE_MACHINE_ARN)')
    .option('--reconcile-state-machine-arn <arn>', 'reconcile state machine (default: $RECONCILE_STATE_MACHINE_ARN)')
    .option('--aws-endpoint <url>', 'AWS-compatible endpoint instead of AWS (stand-ins, tests)')
    .option('--github-endpoint <url>', "GitHub REST API instead of the configuration's github.apiUrl")
    .addHelpText('after', ENVIRONMENT)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const globals = (command: Command) => command.optsWithGlobals() as GlobalOptions;
  const run = (action: () => Promise<ExitCode>) => action().then(setCode);

  cli
    .command('run')
    .description('start an onboarding of the account and follow it to the end')
    .argument('<accountId>', '12-digit account id')
    .option('--force', 'reopen a declined pull request and bypass the OU, tag and id filters', false)
    .option('--no-wait', 'start the execution, print its name and ARN and return (follow it with status)')
    .action((accountId: string, flags: { force: boolean; wait: boolean }, command: Command) =>
      run(() => runCommand(accountId, flags, globals(command), io)),
    );

  cli
    .command('status')
    .description('list recent onboarding executions with their outcome and pull request')
    .argument('[accountId]', 'only the executions of this account')
    .option('--limit <n>', 'at most this many executions', '20')
    .action((accountId: string | undefined, flags: { limit: string }, command: Command) =>
      run(() => statusCommand(accountId, flags, globals(command), io)),
    );

  cli
    .command('reconcile')
    .description('run the drift sweep and print its report (exit 1 when anything drifted)')
    .option('--remediate', 'start an onboarding execution for each remediable drifted account', false)
    .option('--report-bucket <bucket>', 'reconcile bucket, to print each drifted account (default: $RECONCILE_BUCKET)')
    .action((flags: { remediate: boolean; reportBucket?: string }, command: Command) =>
      run(() => reconcileCommand(flags, globals(command), io)),
    );

  cli
    .command('plan')
    .description('show the role change and the pull request a run would make, without changing anything')
    .argument('<accountId>', '12-digit account id')
    .option('--force', 'plan as run --force would', false)
    .option(
      '--github-token-secret [arn]',
      'read the GitHub credentials from this Secrets Manager secret (alone: the configured github.auth secret) instead of GITHUB_TOKEN',
    )
    .action((accountId: string, flags: { force: boolean; githubTokenSecret?: string | boolean }, command: Command) =>
      run(() => planCommand(accountId, flags, globals(command), io)),
    );

  cli
    .command('backfill')
    .description(
      'onboard every account of the organization the repository does not onboard yet: roles through the state machine, one pull request per batch',
    )
    .option('--dry-run', 'print the batches and the matrix count; start nothing, write nothing', false)
    .option('--force', 'put accounts whose pull request was declined in a batch again', false)
    .option('--batch-size <n>', 'accounts per pull request (default: github.batchSize, 50)')
    .option('--concurrency <n>', 'role executions at once', '10')
    .option(
      '--github-token-secret [arn]',
      'write with the GitHub credentials of this Secrets Manager secret (alone: the configured github.auth secret) instead of GITHUB_TOKEN',
    )
    .action(
      (
        flags: {
          dryRun: boolean;
          force: boolean;
          batchSize?: string;
          concurrency?: string;
          githubTokenSecret?: string | boolean;
        },
        command: Command,
      ) => run(() => backfillCommand(flags, globals(command), io)),
    );

  cli
    .command('doctor')
    .description('check every prerequisite read-only, one line each with the fix (exit 1 when any is not met)')
    .option('--sample <n>', 'member accounts to try the access role in (the most recently joined)', '3')
    .action((flags: { sample: string }, command: Command) => run(() => doctorCommand(flags, globals(command), io)));

  return cli;
}

/** Runs the CLI with `argv` (the arguments after the program name); resolves to the exit code. */
export async function main(argv: string[], io: Partial<Io> = {}): Promise<ExitCode> {
  const full: Io = { ...processIo(), ...io };
  // The domain functions log for Lambda (JSON to stdout); a person at a terminal wants warnings at most.
  logger.setLogLevel((full.env.POWERTOOLS_LOG_LEVEL ?? 'WARN') as Parameters<typeof logger.setLogLevel>[0]);
  let code: ExitCode = EXIT.ok;
  const cli = program(full, (c) => {
    code = c;
  });
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with 0; every parse error is bad usage (commander printed the message).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode } = explain(error);
    full.stderr(`${message}\n`);
    return exitCode;
  }
}

/** True when this module is the program (tsx bin/cli.ts, or the bin/oidc-account-onboarding.mjs launcher). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return /[\\/]bin[\\/](cli\.ts|oidc-account-onboarding\.mjs)$/.test(realpathSync(script));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
