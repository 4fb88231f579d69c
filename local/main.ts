/**
 * `npm start`: the whole onboarding on this machine. Builds the bundles if needed, starts the embedded AWS and
 * GitHub stand-ins (or uses the endpoints given), creates new accounts, lets the synthesized EventBridge rules
 * decide which of their events start executions, runs the onboarding state machine with the built Lambda bundles,
 * then prints the role, the pull request and the workflow diff from a real clone. Exits non-zero on any failure.
 */
import './polyfills';
import { parseArgs } from 'node:util';
import { runLocal } from './run';

const USAGE = `Usage: npm start -- [--accounts N] [--keep DIR] [--scps FILE | --no-iam] [--aws-endpoint URL] [--github-endpoint URL --repo OWNER/NAME] [--json]

  --accounts N           create N new accounts at once (default 1)
  --keep DIR             leave the resulting git repository in DIR (embedded GitHub stand-in only)
  --scps FILE            service control policies for the member accounts (see local/aws/authorization-settings.ts)
  --no-iam               do not evaluate IAM on the embedded AWS stand-in (it does by default, with the synthesized roles)
  --aws-endpoint URL     use another AWS-compatible endpoint (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
  --github-endpoint URL  use another GitHub-compatible REST API (token from GITHUB_TOKEN) ...
  --repo OWNER/NAME      ... and this repository there (seeded through the API when it is empty)
  --json                 print one JSON summary instead of the report`;

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1' },
    keep: { type: 'string' },
    scps: { type: 'string' },
    'no-iam': { type: 'boolean', default: false },
    'aws-endpoint': { type: 'string' },
    'github-endpoint': { type: 'string' },
    repo: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const accounts = Number(values.accounts);
if (!Number.isInteger(accounts) || accounts < 1 || accounts > 50) {
  console.error(`--accounts expects a whole number from 1 to 50, got "${values.accounts}"\n\n${USAGE}`);
  process.exit(2);
}
if (values['github-endpoint'] && !values.repo) {
  console.error(`--github-endpoint needs --repo OWNER/NAME\n\n${USAGE}`);
  process.exit(2);
}

const ok = await runLocal({
  accounts,
  keepDir: values.keep,
  iam: values['no-iam'] ? false : { scpFile: values.scps },
  awsEndpoint: values['aws-endpoint'],
  githubEndpoint: values['github-endpoint'],
  repo: values.repo,
  json: values.json,
});
process.exit(ok ? 0 : 1);
