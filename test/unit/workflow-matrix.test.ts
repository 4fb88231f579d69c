import { parse } from 'yaml';
import { MatrixLimitExceeded, WorkflowMatrixNotFound } from '../../functions/lib/errors';
import { addMatrixEntry, readMatrixEntries } from '../../functions/lib/workflow-matrix';
import {
  BLOCK_LIST_WORKFLOW,
  changedRegion,
  FROM_JSON_WORKFLOW,
  INCLUDE_WORKFLOW,
  type LintFinding,
  lintWorkflow,
  MULTI_JOB_WORKFLOW,
  multilineFlowWorkflow,
  SEED_MATRIX_LINE,
  SEED_WORKFLOW,
  workflowWithEntries,
} from '../support/workflows';

const NEW = 'aws-accounts/new';

/** Lint findings as kind+message, without positions, which move when a line is added. */
const findings = (list: LintFinding[]): string[] => list.map((f) => `${f.kind}: ${f.message}`).sort();

async function expectNoNewLintFindings(before: string, after: string): Promise<void> {
  expect(findings(await lintWorkflow(after))).toEqual(findings(await lintWorkflow(before)));
}

describe('readMatrixEntries', () => {
  it('reads the folders of the seed workflow', () => {
    expect(readMatrixEntries(SEED_WORKFLOW, 'dir')).toEqual(['aws-accounts/tooling', 'aws-accounts/workload-prod-01']);
  });

  it('unites the lists of every job without duplicates', () => {
    // Prepare: apply lacks an entry that plan has
    const text = addMatrixEntry(MULTI_JOB_WORKFLOW, 'dir', NEW).text.replace('          - "aws-accounts/new"\n', '');

    // Act / Assess
    expect(readMatrixEntries(text, 'dir')).toEqual(['aws-accounts/tooling', 'aws-accounts/workload-prod-01', NEW]);
  });

  it('refuses a workflow without such a matrix list', () => {
    expect(() => readMatrixEntries(SEED_WORKFLOW, 'folder')).toThrow(WorkflowMatrixNotFound);
  });
});

describe('addMatrixEntry', () => {
  // The seed workflow itself draws actionlint findings (actions pinned to versions GitHub no longer runs).
  it('adds the folder to the seed one-line matrix, changing exactly that line and keeping its comment', async () => {
    // Act
    const result = addMatrixEntry(SEED_WORKFLOW, 'dir', NEW);

    // Assess
    expect(result.changed).toBe(true);
    expect(changedRegion(SEED_WORKFLOW, result.text)).toEqual({
      removed: [SEED_MATRIX_LINE],
      added: [
        "      matrix: { dir: ['aws-accounts/tooling', 'aws-accounts/workload-prod-01', 'aws-accounts/new'] }               # Replace, declare folder(s) to traverse",
      ],
    });
    expect(readMatrixEntries(result.text, 'dir')).toContain(NEW);
    await expectNoNewLintFindings(SEED_WORKFLOW, result.text);
  });

  it('adds one line to a block list with the same indentation and quoting, keeping every comment', async () => {
    // Act
    const result = addMatrixEntry(BLOCK_LIST_WORKFLOW, 'dir', NEW);

    // Assess
    expect(changedRegion(BLOCK_LIST_WORKFLOW, result.text)).toEqual({
      removed: [],
      added: ['          - aws-accounts/new'],
    });
    expect(result.text.split('\n').slice(16, 19)).toEqual([
      '          - aws-accounts/tooling   # the tooling account',
      '          - aws-accounts/workload-prod-01',
      '          - aws-accounts/new',
    ]);
    expect(result.text.replace('          - aws-accounts/new\n', '')).toBe(BLOCK_LIST_WORKFLOW);
    expect(await lintWorkflow(result.text)).toEqual([]);
  });

  it('adds the folder to every job that fans out over the folders, in each job’s quoting style', async () => {
    // Act
    const result = addMatrixEntry(MULTI_JOB_WORKFLOW, 'dir', NEW);

    // Assess
    const jobs = parse(result.text).jobs;
    expect(jobs.plan.strategy.matrix.dir).toEqual(['aws-accounts/tooling', 'aws-accounts/workload-prod-01', NEW]);
    expect(jobs.apply.strategy.matrix.dir).toEqual(['aws-accounts/tooling', 'aws-accounts/workload-prod-01', NEW]);
    expect(jobs.lint.strategy.matrix).toEqual({ node: [20, 22] });
    expect(result.text).toContain(
      '      matrix: { dir: [aws-accounts/tooling, aws-accounts/workload-prod-01, aws-accounts/new] }\n',
    );
    expect(result.text).toContain('          - "aws-accounts/workload-prod-01"\n          - "aws-accounts/new"\n');
    expect(result.text.split('\n')).toHaveLength(MULTI_JOB_WORKFLOW.split('\n').length + 1);
    expect(await lintWorkflow(result.text)).toEqual([]);
  });

  it('adds the folder only to the job that lacks it', () => {
    // Prepare
    const onlyPlanHasIt = addMatrixEntry(MULTI_JOB_WORKFLOW, 'dir', NEW).text.replace(
      '          - "aws-accounts/new"\n',
      '',
    );

    // Act
    const result = addMatrixEntry(onlyPlanHasIt, 'dir', NEW);

    // Assess
    expect(changedRegion(onlyPlanHasIt, result.text)).toEqual({
      removed: [],
      added: ['          - "aws-accounts/new"'],
    });
  });

  it.each([
    ['seed', SEED_WORKFLOW, 'aws-accounts/workload-prod-01'],
    ['block list', BLOCK_LIST_WORKFLOW, 'aws-accounts/tooling'],
    ['several jobs', MULTI_JOB_WORKFLOW, 'aws-accounts/tooling'],
  ])('leaves the %s workflow identical when the folder is already there', (_label, workflow, present) => {
    // Act
    const result = addMatrixEntry(workflow, 'dir', present);

    // Assess
    expect(result).toEqual({ changed: false, text: workflow });
  });

  it.each([
    [true, ["          'aws-accounts/new',"]],
    [false, ["          'aws-accounts/workload-prod-01', # production", "          'aws-accounts/new'"]],
  ])('adds a line to a flow list written one entry per line (trailing comma: %s)', (trailingComma, added) => {
    // Prepare
    const workflow = multilineFlowWorkflow(trailingComma);

    // Act
    const result = addMatrixEntry(workflow, 'dir', NEW);

    // Assess
    const region = changedRegion(workflow, result.text);
    expect(region.added).toEqual(added);
    expect(region.removed).toHaveLength(added.length - 1);
    expect(parse(result.text).jobs.terraform.strategy.matrix.dir).toEqual([
      'aws-accounts/tooling',
      'aws-accounts/workload-prod-01',
      NEW,
    ]);
  });

  it('keeps CRLF line endings', () => {
    // Prepare
    const crlf = SEED_WORKFLOW.replaceAll('\n', '\r\n');
    const block = BLOCK_LIST_WORKFLOW.replaceAll('\n', '\r\n');

    // Act
    const seedResult = addMatrixEntry(crlf, 'dir', NEW);
    const blockResult = addMatrixEntry(block, 'dir', NEW);

    // Assess
    for (const { text } of [seedResult, blockResult]) {
      expect(text.match(/(?<!\r)\n/g)).toBeNull();
      expect(readMatrixEntries(text, 'dir')).toContain(NEW);
    }
    expect(seedResult.text).toBe(addMatrixEntry(SEED_WORKFLOW, 'dir', NEW).text.replaceAll('\n', '\r\n'));
    expect(blockResult.text).toBe(addMatrixEntry(BLOCK_LIST_WORKFLOW, 'dir', NEW).text.replaceAll('\n', '\r\n'));
  });

  it('adds a line to a block list that ends the file without a final newline', () => {
    // Prepare
    const workflow =
      'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: echo}]\n    strategy:\n      matrix:\n        dir:\n        - a';

    // Act
    const result = addMatrixEntry(workflow, 'dir', NEW);

    // Assess
    expect(result.text).toBe(`${workflow}\n        - aws-accounts/new`);
  });

  it('quotes an entry that a plain scalar could not carry', () => {
    // Act
    const single = addMatrixEntry(SEED_WORKFLOW, 'dir', "aws-accounts/o'brien #1");
    const plain = addMatrixEntry(BLOCK_LIST_WORKFLOW, 'dir', 'aws-accounts/x: y');

    // Assess
    expect(single.text).toContain("'aws-accounts/workload-prod-01', 'aws-accounts/o''brien #1'] }");
    expect(readMatrixEntries(single.text, 'dir')).toContain("aws-accounts/o'brien #1");
    expect(plain.text).toContain("          - 'aws-accounts/x: y'\n");
  });

  it('refuses a matrix computed by an expression, saying which shape it expects', () => {
    // Act / Assess
    expect(() => addMatrixEntry(FROM_JSON_WORKFLOW, 'dir', NEW)).toThrow(WorkflowMatrixNotFound);
    expect(() => addMatrixEntry(FROM_JSON_WORKFLOW, 'dir', NEW)).toThrow(
      /Expected a literal list at jobs\.<job>\.strategy\.matrix\.dir.*jobs\.terraform\.strategy\.matrix\.dir is the expression "\$\{\{ fromJSON/,
    );
  });

  it('refuses a matrix made of include entries', () => {
    expect(() => addMatrixEntry(INCLUDE_WORKFLOW, 'dir', NEW)).toThrow(
      /Expected a literal list.*jobs\.terraform\.strategy\.matrix has only include and no "dir" list/,
    );
  });

  it('refuses a workflow where no job has the matrix key', () => {
    expect(() => addMatrixEntry(SEED_WORKFLOW, 'account', NEW)).toThrow(WorkflowMatrixNotFound);
    expect(() => addMatrixEntry('name: x\non: push\n', 'dir', NEW)).toThrow(/no jobs mapping/);
  });

  it('refuses a workflow that is not valid YAML', () => {
    expect(() => addMatrixEntry('jobs:\n  a: [\n', 'dir', NEW)).toThrow(/not valid YAML/);
  });

  it('refuses to pass GitHub’s 256 jobs per matrix and leaves the workflow alone', () => {
    // Prepare
    const full = workflowWithEntries(256);
    const almostFull = workflowWithEntries(255);
    const crossed = workflowWithEntries(128, ['plan', 'apply']);

    // Act / Assess
    expect(() => addMatrixEntry(full, 'dir', NEW)).toThrow(MatrixLimitExceeded);
    expect(() => addMatrixEntry(crossed, 'dir', NEW)).toThrow(/258 jobs, over the limit of 256/);
    expect(addMatrixEntry(almostFull, 'dir', NEW).changed).toBe(true);
    expect(() => addMatrixEntry(SEED_WORKFLOW, 'dir', NEW, { maxEntries: 2 })).toThrow(MatrixLimitExceeded);
    expect(addMatrixEntry(full, 'dir', 'aws-accounts/account-000')).toEqual({ changed: false, text: full });
  });

  it('gives the verified text when asked not to verify (reconciliation comparing pull request hashes)', () => {
    // Prepare: every list shape the editor supports, and a name that needs quoting
    const workflows = [SEED_WORKFLOW, BLOCK_LIST_WORKFLOW, MULTI_JOB_WORKFLOW, multilineFlowWorkflow(false)];
    for (const workflow of workflows) {
      for (const entry of [NEW, "aws-accounts/o'brien #1"]) {
        // Act
        const unverified = addMatrixEntry(workflow, 'dir', entry, { verify: false });
        // Assess
        expect(unverified).toEqual(addMatrixEntry(workflow, 'dir', entry));
      }
    }
    // The limit and the shape checks still apply without verification.
    expect(() => addMatrixEntry(workflowWithEntries(256), 'dir', NEW, { verify: false })).toThrow(MatrixLimitExceeded);
    expect(() => addMatrixEntry(FROM_JSON_WORKFLOW, 'dir', NEW, { verify: false })).toThrow(WorkflowMatrixNotFound);
  });
});
