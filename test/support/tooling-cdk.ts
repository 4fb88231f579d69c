/** Synthesises the tooling-account stack in tests, from CDK context as `cdk synth` does. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../infra/config';
import { loadToolingConfig, type ToolingConfigInput } from '../../infra/tooling-config';
import { ToolingStack } from '../../infra/tooling-stack';
import { minimalConfig } from './cdk';

/** The smallest valid `tooling` context. */
export const minimalToolingConfig: ToolingConfigInput = { organizationId: 'o-a1b2c3d4e5' };

export function synthToolingStack(
  context: Record<string, unknown> = { onboarding: minimalConfig, tooling: minimalToolingConfig },
) {
  const app = new App({ context });
  const config = loadConfig(app.node);
  const tooling = loadToolingConfig(app.node, config);
  if (!tooling) throw new Error('context "tooling" is required to synthesise the tooling stack');
  const stack = new ToolingStack(app, 'ToolingTest', {
    env: { account: config.toolingAccountId, region: config.terraform.region },
    config,
    tooling,
  });
  return { app, stack, config, tooling, template: Template.fromStack(stack) };
}
