/**
 * `npm run check:house`: the size rules of the house (issue 15.5). Fails (exit 1) when a source file under
 * `functions/`, `infra/` or `local/` has more than 400 lines, or a Lambda handler (`functions/<name>/handler.ts`)
 * more than 60, and lists every offender with its count; generated files are not counted.
 *
 * Usage: `npm run check:house [-- --root DIR] [--json]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';

export const LIMITS = { sourceFile: 400, handler: 60 } as const;
const SOURCE_DIRS = ['functions', 'infra', 'local'];
const SOURCE_FILE = /\.(ts|mts|mjs|js)$/;
const GENERATED = /\.generated\.|\.d\.m?ts$/;

export interface Offender {
  file: string;
  lines: number;
  limit: number;
  rule: 'source file' | 'handler';
}

function* sourceFiles(dir: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries.sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (SOURCE_FILE.test(entry) && !GENERATED.test(entry)) yield path;
  }
}

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** Every file of the source folders under `root` that breaks a rule. */
export function houseOffenders(root: string): Offender[] {
  const offenders: Offender[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const path of sourceFiles(join(root, dir))) {
      const file = relative(root, path).split(sep).join('/');
      const lines = lineCount(readFileSync(path, 'utf8'));
      const isHandler = /^functions\/[^/]+\/handler\.ts$/.test(file);
      const [rule, limit] = isHandler
        ? (['handler', LIMITS.handler] as const)
        : (['source file', LIMITS.sourceFile] as const);
      if (lines > limit) offenders.push({ file, lines, limit, rule });
    }
  }
  return offenders;
}

if (process.argv[1] && /check-house\.[mc]?[jt]s$/.test(process.argv[1])) {
  const { values } = parseArgs({
    options: { root: { type: 'string', default: process.cwd() }, json: { type: 'boolean', default: false } },
  });
  const offenders = houseOffenders(values.root as string);
  if (values.json) console.log(JSON.stringify({ ok: offenders.length === 0, limits: LIMITS, offenders }, null, 2));
  else if (offenders.length === 0) {
    console.log(`house: every source file within ${LIMITS.sourceFile} lines, every handler within ${LIMITS.handler}`);
  } else {
    for (const o of offenders) console.log(`${o.file}: ${o.lines} lines (${o.rule} limit ${o.limit})`);
    console.log(`house: ${offenders.length} file(s) over their limit`);
  }
  process.exitCode = offenders.length === 0 ? 0 : 1;
}
