import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { loadConfig } from './config';
import { AwsSolutionsChecks } from './nag';
import { OnboardingStack } from './onboarding-stack';
import { loadToolingConfig } from './tooling-config';
import { ToolingStack } from './tooling-stack';

const root = join(import.meta.dirname, '..');
const functionsDir = join(root, 'dist', 'functions');

const app = new App();
const config = loadConfig(app.node);

// Every synth (and so every deploy) bundles the current sources, so a stale dist/ is never deployed.
// `-c skipBuild=true` deploys dist/ as it is (e.g. bundles built and checked by an earlier CI step).
if (app.node.tryGetContext('skipBuild') !== 'true' || !existsSync(functionsDir)) {
  const build: { buildFunctions(options?: { quiet?: boolean }): Promise<string[]> } = await import(
    pathToFileURL(join(root, 'esbuild.config.mjs')).href
  );
  await build.buildFunctions({ quiet: true });
}

new OnboardingStack(app, 'OidcAccountOnboarding', {
  description: 'Onboards every new AWS account into GitHub Actions + Terraform CI/CD over OIDC',
  // Organizations and Control Tower events arrive only in us-east-1 of the management account.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'us-east-1' },
  config,
  functionsDir,
});
// Optional, deployed separately into the tooling account: only when context "tooling" is set.
const tooling = loadToolingConfig(app.node, config);
if (tooling) {
  new ToolingStack(app, 'OidcAccountOnboardingTooling', {
    description: 'GitHub OIDC provider, pipeline role and Terraform state bucket of the tooling account',
    // The state bucket lives where backend.tf says it is.
    env: { account: config.toolingAccountId, region: config.terraform.region },
    config,
    tooling,
  });
}
// cdk-nag 3 is a policy validation plugin: any unacknowledged finding fails synth with a report.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
