/** Deterministic fault injection: seeded random throttling and failures, plus scripted one-off errors. */
import { AwsError } from './protocols';
import type { Service } from './service';

export interface FaultOptions {
  /** Share of matching calls answered with the service's throttling error (0..1). */
  throttleRate?: number;
  /** Share of matching calls answered with HTTP 500 (or `failStatus`). */
  failRate?: number;
  failStatus?: 500 | 503;
  /** Limit random faults to services or operations: `'iam'`, `'iam:GetRole'`, `['sts', 'organizations:ListAccounts']`. */
  only?: string | string[];
  /** Limit random faults to calls made by one account. */
  accountId?: string;
  /** PRNG seed: the same seed and the same calls give the same faults. */
  seed?: number;
  /** AssumeRole into an account created by CreateAccount is AccessDenied for its first n attempts. */
  newAccountAssumableAfter?: number;
  /** GetRole on a role created by CreateRole answers NoSuchEntity for the next n reads. */
  roleInvisibleReads?: number;
  /** GetRole on a role created by CreateRole answers NoSuchEntity for this many milliseconds. */
  roleVisibleAfterMs?: number;
}

/** A scripted error for the next matching call(s), e.g. `{ target: 'organizations:ListAccounts', times: 2 }`. */
export interface ScriptedFault {
  /** `'service'` or `'service:Action'`. */
  target: string;
  /** Error code; the service's throttling error when omitted. */
  code?: string;
  status?: number;
  message?: string;
  times?: number;
}

/** mulberry32: tiny, fast, good enough to spread faults evenly and reproducibly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const matches = (target: string, service: string, action: string) =>
  target === service || target === `${service}:${action}`;

export class FaultInjector {
  private options: FaultOptions = {};
  private random = mulberry32(1);
  private readonly scripted: Array<Required<Pick<ScriptedFault, 'target' | 'times'>> & ScriptedFault> = [];

  configure(options: FaultOptions): void {
    this.options = { ...options };
    this.random = mulberry32(options.seed ?? 1);
  }

  script(fault: ScriptedFault): void {
    this.scripted.push({ ...fault, times: fault.times ?? 1 });
  }

  /** The error to answer instead of running the operation, if any. */
  faultFor(service: Service, action: string, accountId: string): AwsError | undefined {
    const index = this.scripted.findIndex((f) => matches(f.target, service.name, action));
    if (index !== -1) {
      const fault = this.scripted[index] as ScriptedFault & { times: number };
      fault.times -= 1;
      if (fault.times <= 0) this.scripted.splice(index, 1);
      if (!fault.code) return service.throttlingError();
      return new AwsError(fault.code, fault.status ?? 400, fault.message ?? `Injected ${fault.code}`);
    }
    const { throttleRate = 0, failRate = 0, only, accountId: onlyAccount } = this.options;
    if (throttleRate <= 0 && failRate <= 0) return undefined;
    const targets = only === undefined ? undefined : Array.isArray(only) ? only : [only];
    if (targets && !targets.some((t) => matches(t, service.name, action))) return undefined;
    if (onlyAccount && onlyAccount !== accountId) return undefined;
    const roll = this.random();
    if (roll < throttleRate) return service.throttlingError();
    if (roll < throttleRate + failRate) return service.failureError(this.options.failStatus ?? 500);
    return undefined;
  }
}
