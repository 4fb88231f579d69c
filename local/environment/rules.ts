/**
 * Event routing as deployed: the EventBridge rules of the synthesized onboarding stack decide which events start
 * an onboarding execution.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnboardingConfig } from '../../functions/lib/config';
import { type EventPattern, matchesEventPattern } from '../event-pattern';
import type { ExecutionReport } from '../step-functions';
import { bundlePath, ROOT } from './handlers';
import { LOCAL_REGION, randomSuffix } from './names';
import type { Delivery, EventRule } from './types';

const handlerNames = (): string[] =>
  readdirSync(join(ROOT, 'functions')).filter((name) => existsSync(join(ROOT, 'functions', name, 'handler.ts')));

function placeholderFunctions(): string {
  // Only the rules are read from this synth: a stand-in bundle per function (every functions/<name>/handler.ts).
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-functions-'));
  for (const name of handlerNames()) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  return dir;
}

/** The EventBridge rules of the synthesized onboarding stack, so the rules decide which events start executions. */
export async function synthesizedRules(config: OnboardingConfig): Promise<EventRule[]> {
  const { App } = await import('aws-cdk-lib');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { OnboardingStack } = await import('../../infra/onboarding-stack');
  const app = new App();
  const bundled = (name: string) => existsSync(bundlePath(name));
  const functionsDir = handlerNames().every(bundled) ? join(ROOT, 'dist', 'functions') : placeholderFunctions();
  const stack = new OnboardingStack(app, 'Local', { env: { region: LOCAL_REGION }, config, functionsDir });
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  // The onboarding rules only: the offboarding, invited and moved workflows' rules start other state machines
  // (local/offboarding.ts, local/lifecycle.ts).
  const onboarding = Object.entries(rules).filter(([id]) => !/^(Offboarding|Invited|Moved)/.test(id));
  return onboarding.map(([id, resource]) => ({
    id: id.replace(/[0-9A-F]{8}$/, ''),
    pattern: (resource as { Properties: { EventPattern: EventPattern } }).Properties.EventPattern,
  }));
}

/** Delivers an event as EventBridge would: the first matching rule starts an execution with the event as input. */
export function eventRouter(
  rules: readonly EventRule[],
  startExecution: (input: unknown, name: string) => Promise<ExecutionReport>,
): (event: Record<string, unknown>) => Promise<Delivery> {
  return async (event) => {
    const rule = rules.find((r) => matchesEventPattern(event, r.pattern));
    if (!rule) return { event };
    const report = await startExecution(event, `${rule.id}-${String(event.id ?? randomSuffix()).slice(0, 36)}`);
    return { event, rule: rule.id, report };
  };
}
