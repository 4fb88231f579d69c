import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { houseOffenders, LIMITS } from '../../local/check-house';

const lines = (n: number) => `${Array.from({ length: n }, (_, i) => `export const x${i} = ${i};`).join('\n')}\n`;

function house(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'house-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('npm run check:house', () => {
  it('names every source file over 400 lines and every handler over 60, and nothing at the limits', () => {
    // Arrange
    const root = house({
      'functions/a/handler.ts': lines(LIMITS.handler),
      'functions/b/handler.ts': lines(LIMITS.handler + 1),
      'functions/lib/big.ts': lines(LIMITS.sourceFile + 1),
      'infra/ok.ts': lines(LIMITS.sourceFile),
      'local/aws/state.ts': lines(LIMITS.sourceFile + 50),
      'local/x.generated.ts': lines(2000),
      'test/huge.test.ts': lines(2000),
    });

    // Act
    const offenders = houseOffenders(root);

    // Assess
    expect(offenders).toEqual([
      { file: 'functions/b/handler.ts', lines: 61, limit: 60, rule: 'handler' },
      { file: 'functions/lib/big.ts', lines: 401, limit: 400, rule: 'source file' },
      { file: 'local/aws/state.ts', lines: 450, limit: 400, rule: 'source file' },
    ]);
  });
});
