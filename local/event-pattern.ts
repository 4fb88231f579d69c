/**
 * EventBridge event-pattern matching, so the embedded runner lets the synthesized rules decide which
 * events start an execution. Covers the pattern syntax CDK rules use: exact values, prefix, suffix,
 * anything-but, exists, equals-ignore-case, wildcard and numeric comparisons. (No npm package for this
 * is published that runs offline; the EventBridge TestEventPattern API needs the cloud.)
 */
export type EventPattern = { [key: string]: EventPattern | unknown[] };

export function matchesEventPattern(event: unknown, pattern: EventPattern): boolean {
  return matchObject(event, pattern);
}

function matchObject(value: unknown, pattern: EventPattern): boolean {
  const record =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  return Object.entries(pattern).every(([key, rule]) => {
    const field = record?.[key];
    if (Array.isArray(rule)) return matchField(field, rule);
    if (rule !== null && typeof rule === 'object') return matchObject(field, rule as EventPattern);
    throw new TypeError(`Event pattern field "${key}" must be an array or an object`);
  });
}

/** A field matches when any of its values (arrays match element-wise) matches any rule of the list. */
function matchField(field: unknown, rules: unknown[]): boolean {
  const values = Array.isArray(field) ? field : [field];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
      const [op, arg] = Object.entries(rule)[0] ?? [];
      if (op === 'exists') return arg === (field !== undefined);
      return field !== undefined && values.some((v) => matchOperator(op, arg, v));
    }
    return values.some((v) => v === rule);
  });
}

function matchOperator(op: string | undefined, arg: unknown, value: unknown): boolean {
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && matchAffix(arg, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && matchAffix(arg, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcardRegExp(arg).test(value);
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        return !matchField(value, [arg]);
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value);
    }
    case 'numeric':
      return typeof value === 'number' && Array.isArray(arg) && matchNumeric(arg, value);
    default:
      throw new TypeError(`Unsupported event pattern operator "${op}"`);
  }
}

function matchAffix(arg: unknown, value: string, test: (v: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return test(value, arg);
  if (arg !== null && typeof arg === 'object' && 'equals-ignore-case' in arg) {
    const a = String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase();
    return test(value.toLowerCase(), a);
  }
  return false;
}

function matchNumeric(conditions: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}
