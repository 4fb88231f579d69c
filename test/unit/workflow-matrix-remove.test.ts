import { WorkflowMatrixNotFound } from '../../functions/lib/errors';
import { addMatrixEntry, readMatrixEntries } from '../../functions/lib/workflow-matrix';
import { removeMatrixEntry } from '../../functions/lib/workflow-matrix-remove';
import {
  BLOCK_LIST_WORKFLOW,
  changedRegion,
  FROM_JSON_WORKFLOW,
  MULTI_JOB_WORKFLOW,
  multilineFlowWorkflow,
  SEED_MATRIX_LINE,
  SEED_WORKFLOW,
  workflowWithEntries,
} from '../support/workflows';

const PROD = 'aws-accounts/workload-prod-01';
const TOOLING = 'aws-accounts/tooling';

describe('removeMatrixEntry', () => {
  it('cuts the entry out of the seed one-line flow list: one line changes, its comment and quoting kept', () => {
    // Act
    const { changed, text } = removeMatrixEntry(SEED_WORKFLOW, 'dir', PROD);

    // Assess
    expect(changed).toBe(true);
    const diff = changedRegion(SEED_WORKFLOW, text);
    expect(diff.removed).toEqual([SEED_MATRIX_LINE]);
    expect(diff.added).toEqual([SEED_MATRIX_LINE.replace(", 'aws-accounts/workload-prod-01'", '')]);
    expect(readMatrixEntries(text, 'dir')).toEqual([TOOLING]);
  });

  it('cuts the first entry of a flow list with the separator after it', () => {
    const { text } = removeMatrixEntry(SEED_WORKFLOW, 'dir', TOOLING);
    expect(changedRegion(SEED_WORKFLOW, text).added).toEqual([
      SEED_MATRIX_LINE.replace("'aws-accounts/tooling', ", ''),
    ]);
  });

  it('is the inverse of addMatrixEntry on every list style', () => {
    for (const workflow of [SEED_WORKFLOW, BLOCK_LIST_WORKFLOW, MULTI_JOB_WORKFLOW, multilineFlowWorkflow(true)]) {
      const added = addMatrixEntry(workflow, 'dir', 'aws-accounts/new').text;
      expect(removeMatrixEntry(added, 'dir', 'aws-accounts/new')).toEqual({ changed: true, text: workflow });
    }
  });

  it('removes a block list line whole, comments on other lines kept', () => {
    const { text } = removeMatrixEntry(BLOCK_LIST_WORKFLOW, 'dir', TOOLING);
    expect(changedRegion(BLOCK_LIST_WORKFLOW, text)).toEqual({
      removed: ['          - aws-accounts/tooling   # the tooling account'],
      added: [],
    });
    expect(text).toContain('# - aws-accounts/retired  (kept for history)');
  });

  it('removes a flow list entry written on its own line, with or without a trailing comma', () => {
    for (const trailing of [true, false]) {
      const workflow = multilineFlowWorkflow(trailing);
      const { text } = removeMatrixEntry(workflow, 'dir', TOOLING);
      expect(changedRegion(workflow, text)).toEqual({ removed: ["          'aws-accounts/tooling',"], added: [] });
    }
  });

  it('removes the entry from every job that lists it', () => {
    const { text } = removeMatrixEntry(MULTI_JOB_WORKFLOW, 'dir', PROD);
    expect(readMatrixEntries(text, 'dir')).toEqual([TOOLING]);
    expect(text).toContain('node: [20, 22] # not account folders');
  });

  it('leaves a workflow without the entry untouched, and CRLF line endings stay', () => {
    expect(removeMatrixEntry(SEED_WORKFLOW, 'dir', 'aws-accounts/absent')).toEqual({
      changed: false,
      text: SEED_WORKFLOW,
    });
    const crlf = BLOCK_LIST_WORKFLOW.replaceAll('\n', '\r\n');
    const { text } = removeMatrixEntry(crlf, 'dir', PROD);
    expect(text).toBe(crlf.replace('          - aws-accounts/workload-prod-01\r\n', ''));
  });

  it('empties a one-entry list and works in a long list', () => {
    const one = workflowWithEntries(1);
    expect(readMatrixEntries(removeMatrixEntry(one, 'dir', 'aws-accounts/account-000').text, 'dir')).toEqual([]);
    const many = workflowWithEntries(50);
    const { text } = removeMatrixEntry(many, 'dir', 'aws-accounts/account-025');
    expect(readMatrixEntries(text, 'dir')).toHaveLength(49);
    expect(text.split('\n')).toHaveLength(many.split('\n').length);
  });

  it('refuses a matrix that is no literal list', () => {
    expect(() => removeMatrixEntry(FROM_JSON_WORKFLOW, 'dir', TOOLING)).toThrow(WorkflowMatrixNotFound);
  });
});
