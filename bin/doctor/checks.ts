/** What every doctor check shares: the checks' ids and titles, their context, and the outcomes they answer. */
import type { OnboardingConfig } from '../../functions/lib/config';
import type { GlobalOptions, Io } from '../shared';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when it did not pass. */
  fix?: string;
}

export const CHECKS = {
  cloudtrail: 'CloudTrail trail',
  secret: 'GitHub secret',
  'github-permissions': 'GitHub permissions',
  workflow: 'Workflow matrix',
  'member-access': 'Member access role',
  scp: 'Service control policies',
  deployment: 'Deployed state machines',
} as const;
export type CheckId = keyof typeof CHECKS;

/** Organizations, CloudTrail's CreateAccount events and EventBridge's rules all meet in us-east-1. */
export const HOME_REGION = 'us-east-1';

export interface Context {
  config: OnboardingConfig;
  options: GlobalOptions;
  io: Io;
  /** How many member accounts to try the access role in. */
  sample: number;
}

export type Outcome = Omit<CheckResult, 'id' | 'title'>;
export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): Outcome => ({ status: 'fail', detail, fix });
export const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });

export const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
