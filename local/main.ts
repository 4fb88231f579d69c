/**
 * `npm start`: the whole onboarding on this machine. Builds the bundles if needed, starts the embedded AWS and
 * GitHub stand-ins (or uses the endpoints given), creates new accounts, lets the synthesized EventBridge rules
 * decide which of their events start executions, runs the onboarding state machine with the built Lambda bundles,
 * then prints the role, the pull request and the workflow diff from a real clone.
 *
 * Exit codes: 0 every account onboarded, 1 an onboarding failed, 2 bad usage, 3 setup error (an endpoint, the
 * organization, the repository, the configuration). Failures print `<ErrorName>: <message>`, never a stack trace.
 */
import './polyfills';
import { parseArgs } from 'node:util';
import { runLocal } from './run';
import { RUN_EXIT } from './setup-errors';

const USAGE = `Usage: npm start -- [--accounts N] [--keep DIR] [--scps FILE | --no-iam] [--aws-endpoint URL [--allow-real-accounts]] [--github-endpoint URL --repo OWNER/NAME] [--json]

  --accounts N            create N new accounts at once (default 1)
  --keep DIR              leave the resulting git repository in DIR (embedded GitHub stand-in only)
  --scps FILE             service control policies for the member accounts (see local/aws/authorization-settings.ts)
  --no-iam                do not evaluate IAM on the embedded AWS stand-in (it does by default, with the synthesized roles)
  --aws-endpoint URL      use another AWS-compatible endpoint (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY);
                          an organization is created there when the credentials' account has none
  --allow-real-accounts   let --aws-endpoint be AWS itself (*.amazonaws.com), where real accounts are created
  --github-endpoint URL   use another GitHub-compatible REST API (token from GITHUB_TOKEN) ...
  --repo OWNER/NAME       ... and this repository there (seeded through the API when it is empty)
  --json                  print one JSON document on standard output (logs and metrics go to standard error)

Exit codes: 0 ok, 1 an onboarding failed, 2 bad usage, 3 setup error (endpoint, organization, repository, configuration).`;

function usage(message: string): never {
  console.error(`UsageError: ${message}\n\n${USAGE}`);
  process.exit(RUN_EXIT.usage);
}

// A failure nothing else caught still ends as a named error, never as a stack trace.
const crash = (error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(RUN_EXIT.failed);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

let values: {
  accounts: string;
  keep?: string;
  scps?: string;
  'no-iam': boolean;
  'aws-endpoint'?: string;
  'allow-real-accounts': boolean;
  'github-endpoint'?: string;
  repo?: string;
  json: boolean;
  help: boolean;
};
try {
  values = parseArgs({
    options: {
      accounts: { type: 'string', default: '1' },
      keep: { type: 'string' },
      scps: { type: 'string' },
      'no-iam': { type: 'boolean', default: false },
      'aws-endpoint': { type: 'string' },
      'allow-real-accounts': { type: 'boolean', default: false },
      'github-endpoint': { type: 'string' },
      repo: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  usage((error as Error).message);
}

if (values.help) {
  console.log(USAGE);
  process.exit(RUN_EXIT.ok);
}
const accounts = Number(values.accounts);
if (!Number.isInteger(accounts) || accounts < 1 || accounts > 50) {
  usage(`--accounts expects a whole number from 1 to 50, got "${values.accounts}"`);
}
for (const option of ['aws-endpoint', 'github-endpoint'] as const) {
  const url = values[option];
  if (url !== undefined && !URL.canParse(url))
    usage(`--${option} expects a URL such as http://127.0.0.1:4566, got "${url}"`);
}
if (values['github-endpoint'] && !/^[\w.-]+\/[\w.-]+$/.test(values.repo ?? '')) {
  usage('--github-endpoint needs --repo OWNER/NAME');
}

const code = await runLocal({
  accounts,
  keepDir: values.keep,
  iam: values['no-iam'] ? false : { scpFile: values.scps },
  awsEndpoint: values['aws-endpoint'],
  allowRealAccounts: values['allow-real-accounts'],
  githubEndpoint: values['github-endpoint'],
  repo: values.repo,
  json: values.json,
});
process.exit(code);
