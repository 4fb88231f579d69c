/** Synthesises the CDK app's stacks in tests, without the real bundles, AWS credentials or network. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { OnboardingConfigInput } from '../../functions/lib/config';
import { loadConfig } from '../../infra/config';
import { AwsSolutionsChecks } from '../../infra/nag';
import { OnboardingStack } from '../../infra/onboarding-stack';

/** The smallest valid configuration (everything else takes its default). */
export const minimalConfig: OnboardingConfigInput = {
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github-token-AbCdEf' },
  },
  terraform: {},
};

const FUNCTION_NAMES = [
  'resolve-account',
  'ensure-cicd-role',
  'open-pull-request',
  'resolve-departure',
  'open-offboarding-pull-request',
  'reconcile-inventory',
  'reconcile-check',
  'reconcile-repo',
  'reconcile-report',
  'refresh',
];
let placeholderDir: string | undefined;

/** A folder with a stand-in `index.mjs` per function, so tests never depend on `npm run build`. */
export function placeholderFunctionsDir(): string {
  if (placeholderDir) return placeholderDir;
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-functions-'));
  for (const name of FUNCTION_NAMES) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  placeholderDir = dir;
  return dir;
}

/** Synthesises the onboarding stack from CDK context, as `cdk synth` does (config is validated on the way). */
export function synthOnboardingStack(context: Record<string, unknown> = { onboarding: minimalConfig }) {
  const app = new App({ context });
  const config = loadConfig(app.node);
  const stack = new OnboardingStack(app, 'OnboardingTest', {
    env: { region: 'us-east-1' },
    config,
    functionsDir: placeholderFunctionsDir(),
  });
  return { app, stack, config, template: Template.fromStack(stack) };
}

/** cdk-nag AwsSolutions findings that are not acknowledged (errors and warnings alike). */
export function nagViolations(scope: IConstruct) {
  return new AwsSolutionsChecks(scope).validateScope(scope).violations;
}

/** Every `Validations.of(x).acknowledge()` made in the tree, with where and why. */
export function acknowledgements(scope: IConstruct): Array<{ path: string; id: string; reason: unknown }> {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}
