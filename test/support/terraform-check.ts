import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface FmtCheck {
  /** No terraform binary on this machine: the check did not run. */
  skipped: boolean;
  ok: boolean;
  output: string;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/local/bin/terraform`, else the first `terraform` on PATH, else undefined. */
export function findTerraform(): string | undefined {
  const candidates = [
    '/usr/local/bin/terraform',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'terraform')),
  ];
  return candidates.find((c) => c !== 'terraform' && isExecutable(c));
}

/** Runs `terraform fmt -check -` on one file's content, offline and without any user CLI configuration. */
export function checkTerraformFmt(content: string): FmtCheck {
  const terraform = findTerraform();
  if (!terraform) return { skipped: true, ok: true, output: 'terraform not found' };
  const result = spawnSync(terraform, ['fmt', '-check', '-diff', '-no-color', '-'], {
    input: content,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
    timeout: 30_000,
  });
  return { skipped: false, ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
