/** Configured Lambda memory sizes, read from the synthesized stack (what would deploy), not copied by hand. */
import type { OnboardingConfig } from '../../functions/lib/config';

const LOGICAL_ID_PREFIXES: Record<string, string> = {
  OnboardingResolveAccount: 'resolve-account',
  OnboardingEnsureCicdRole: 'ensure-cicd-role',
  OnboardingOpenPullRequest: 'open-pull-request',
  ReconcileInventory: 'reconcile-inventory',
  ReconcileCheck: 'reconcile-check',
  ReconcileRepository: 'reconcile-repo',
  ReconcileReport: 'reconcile-report',
};

export interface FunctionSettings {
  memoryMb: number;
  architecture: string;
}

/** Function name -> memory and architecture from the AWS::Lambda::Function resources of the onboarding stack. */
export async function functionSettings(config: OnboardingConfig): Promise<Record<string, FunctionSettings>> {
  const { App } = await import('aws-cdk-lib');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { OnboardingStack } = await import('../../infra/onboarding-stack');
  const stack = new OnboardingStack(new App(), 'Bench', {
    env: { region: 'us-east-1' },
    config,
    functionsDir: 'dist/functions',
  });
  const settings: Record<string, FunctionSettings> = {};
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  for (const [id, resource] of Object.entries(functions)) {
    const prefix = Object.keys(LOGICAL_ID_PREFIXES).find((p) => new RegExp(`^${p}[0-9A-F]{8}$`).test(id));
    if (!prefix) continue;
    const props = (resource as { Properties: { MemorySize?: number; Architectures?: string[] } }).Properties;
    settings[LOGICAL_ID_PREFIXES[prefix] as string] = {
      memoryMb: props.MemorySize ?? 128,
      architecture: props.Architectures?.[0] ?? 'x86_64',
    };
  }
  for (const name of Object.values(LOGICAL_ID_PREFIXES)) {
    if (!settings[name]) throw new Error(`no AWS::Lambda::Function for ${name} in the synthesized stack`);
  }
  return settings;
}
