import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isScalar, isSeq, parse, parseDocument, type Scalar, type YAMLSeq } from 'yaml';
import { InvalidInput, MatrixLimitExceeded, WorkflowMatrixNotFound } from './errors';

/**
 * Edits the folder matrix of a GitHub Actions workflow with the smallest textual change. The YAML parser only
 * locates the list; the new entry is spliced into the original text, which is never re-serialised, so comments,
 * spacing, quoting and line endings elsewhere stay byte for byte. The result is parsed again and must equal the
 * original document plus the entry, or the edit is refused.
 */

/** GitHub runs at most 256 jobs per matrix. */
export const GITHUB_MATRIX_LIMIT = 256;

export interface AddMatrixEntryOptions {
  maxEntries?: number;
  /**
   * Parse the edited text again and refuse an edit that is not exactly "the workflow plus the entry" (default true).
   * Only a caller that compares the text with one an earlier verified edit produced (reconciliation matching an
   * onboarding pull request's content hash) may skip it: the splice is deterministic, so an edit that would fail
   * the check cannot have been committed, and its text matches nothing.
   */
  verify?: boolean;
}

export interface MatrixEdit {
  changed: boolean;
  text: string;
}

interface MatrixList {
  job: string;
  seq: YAMLSeq;
  entries: string[];
  /** Product of the lengths of the matrix's other lists: the jobs each entry of this list fans out to. */
  jobsPerEntry: number;
}

interface Insertion {
  offset: number;
  text: string;
}

type QuoteStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

/**
 * The last workflow parsed, with its plain value. Reconciliation asks about many folders of one base workflow (the
 * matrix lists once per batch, a planned edit per account with an open pull request), so the base is parsed once,
 * not once per question. Nothing here mutates a parsed document (`toJS` makes a fresh copy).
 */
let lastParsed: { text: string; doc: Document } | undefined;

function parseWorkflow(workflowText: string): Document {
  if (lastParsed?.text !== workflowText) lastParsed = { text: workflowText, doc: parseDocument(workflowText) };
  const { doc } = lastParsed;
  const error = doc.errors[0];
  if (error) throw new WorkflowMatrixNotFound(`The workflow is not valid YAML (${error.code}): ${error.message}`);
  return doc;
}

function describe(node: unknown): string {
  if (isScalar(node)) {
    const value = String(node.value);
    return /\$\{\{/.test(value) ? `the expression ${JSON.stringify(value)}` : `the scalar ${JSON.stringify(value)}`;
  }
  if (isMap(node)) return 'a mapping';
  return 'neither a list nor a mapping';
}

/** Every `jobs.<job>.strategy.matrix.<key>` that is a literal list of strings. */
function locateMatrixLists(doc: Document, matrixKey: string): MatrixList[] {
  const expected =
    `Expected a literal list at jobs.<job>.strategy.matrix.${matrixKey}, e.g. ` +
    `"matrix: { ${matrixKey}: ['aws-accounts/tooling'] }" or a block list "${matrixKey}:\\n  - aws-accounts/tooling"`;
  const jobs = doc.get('jobs', true);
  if (!isMap(jobs)) throw new WorkflowMatrixNotFound(`${expected}; the workflow has no jobs mapping`);

  const lists: MatrixList[] = [];
  const problems: string[] = [];
  for (const pair of jobs.items) {
    const job = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const strategy = isMap(pair.value) ? pair.value.get('strategy', true) : undefined;
    if (strategy === undefined) continue;
    const matrix = isMap(strategy) ? strategy.get('matrix', true) : strategy;
    const where = `jobs.${job}.strategy${isMap(strategy) ? '.matrix' : ''}`;
    if (matrix === undefined) continue;
    if (!isMap(matrix)) {
      problems.push(`${where} is ${describe(matrix)}`);
      continue;
    }
    const list = matrix.get(matrixKey, true);
    if (list === undefined) {
      const keys = matrix.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
      problems.push(`${where} has ${keys.length ? `only ${keys.join(', ')}` : 'no keys'} and no "${matrixKey}" list`);
      continue;
    }
    if (!isSeq(list) || !list.items.every((item) => isScalar(item) && typeof item.value === 'string')) {
      problems.push(
        `${where}.${matrixKey} is ${isSeq(list) ? 'a list holding more than plain strings' : describe(list)}`,
      );
      continue;
    }
    let jobsPerEntry = 1;
    for (const other of matrix.items) {
      const name = isScalar(other.key) ? other.key.value : other.key;
      if (name !== matrixKey && name !== 'include' && name !== 'exclude' && isSeq(other.value)) {
        jobsPerEntry *= other.value.items.length;
      }
    }
    const entries = list.items.map((item) => String((item as Scalar).value));
    lists.push({ job, seq: list, entries, jobsPerEntry });
  }
  if (lists.length === 0) {
    const found = problems.length ? `found ${problems.join('; ')}` : `no job has strategy.matrix.${matrixKey}`;
    throw new WorkflowMatrixNotFound(
      `${expected}; ${found}. Add the folder by hand or make the matrix a literal list.`,
    );
  }
  return lists;
}

/**
 * Each `jobs.*.strategy.matrix.<matrixKey>` list: its job, entries and the jobs each entry fans out to. One parse, so
 * a caller asking about many folders (reconciliation) need not parse the workflow per folder.
 */
export function readMatrixLists(
  workflowText: string,
  matrixKey: string,
): Array<{ job: string; entries: string[]; jobsPerEntry: number }> {
  return locateMatrixLists(parseWorkflow(workflowText), matrixKey).map(({ job, entries, jobsPerEntry }) => ({
    job,
    entries,
    jobsPerEntry,
  }));
}

/** The entries of every `jobs.*.strategy.matrix.<matrixKey>` list, without duplicates, in order of appearance. */
export function readMatrixEntries(workflowText: string, matrixKey: string): string[] {
  const lists = locateMatrixLists(parseWorkflow(workflowText), matrixKey);
  return [...new Set(lists.flatMap((list) => list.entries))];
}

const PLAIN_SAFE = /^[A-Za-z0-9_./][\w./@+=-]*$/;

function quote(entry: string, style: QuoteStyle): string {
  if (style === 'QUOTE_DOUBLE') return JSON.stringify(entry);
  const plainIsString = PLAIN_SAFE.test(entry) && isDeepStrictEqual(parse(`[${entry}]`), [entry]);
  if (style === 'PLAIN' && plainIsString) return entry;
  return `'${entry.replaceAll("'", "''")}'`;
}

function quoteStyleOf(seq: YAMLSeq): QuoteStyle {
  const last = seq.items.at(-1);
  const type = isScalar(last) ? last.type : undefined;
  return type === 'PLAIN' || type === 'QUOTE_DOUBLE' ? type : 'QUOTE_SINGLE';
}

const lineStartOf = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;

/** Where the line holding `offset` ends, after its line break (or the end of the text without one). */
function afterLineOf(text: string, offset: number): { at: number; eol: string | undefined } {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return { at: text.length, eol: undefined };
  return { at: newline + 1, eol: text[newline - 1] === '\r' ? '\r\n' : '\n' };
}

function flowInsertions(text: string, seq: YAMLSeq, rendered: string, defaultEol: string): Insertion[] {
  const [start, end] = seq.range ?? [];
  if (start === undefined || end === undefined || text[end - 1] !== ']') {
    throw new WorkflowMatrixNotFound(
      'The matrix flow list has no closing "]" where the parser placed it; edit it by hand',
    );
  }
  const items = seq.items as Scalar[];
  const last = items.at(-1);
  if (!last?.range) return [{ offset: start + 1, text: rendered }];

  const lastEnd = last.range[1];
  const between = text.slice(lastEnd, end - 1);
  if (!between.includes('\n')) {
    // `[a, b]` -> `[a, b, new]`, keeping the separator the list already uses.
    const previous = items.at(-2);
    const separator = previous?.range ? text.slice(previous.range[1], last.range[0]) : ', ';
    return [{ offset: lastEnd, text: /^[ \t]*,[ \t]*$/.test(separator) ? `${separator}${rendered}` : `, ${rendered}` }];
  }
  // One entry per line: a new line after the last entry's line, with its indentation and trailing-comma habit.
  const indent = text.slice(lineStartOf(text, last.range[0]), last.range[0]).match(/^[ \t]*/)?.[0] ?? '';
  const { at, eol = defaultEol } = afterLineOf(text, lastEnd);
  if (/^[ \t]*,/.test(between)) return [{ offset: at, text: `${indent}${rendered},${eol}` }];
  return [
    { offset: lastEnd, text: ',' },
    { offset: at, text: `${indent}${rendered}${eol}` },
  ];
}

function blockInsertions(text: string, seq: YAMLSeq, rendered: string, defaultEol: string): Insertion[] {
  const last = seq.items.at(-1);
  if (!isScalar(last) || !last.range) {
    throw new WorkflowMatrixNotFound('The matrix block list has no plain entries to align with; edit it by hand');
  }
  const prefix = text.slice(lineStartOf(text, last.range[0]), last.range[0]);
  if (!/^[ \t]*-[ \t]+$/.test(prefix)) {
    throw new WorkflowMatrixNotFound(
      `The last matrix entry does not start its own "- " line (found ${JSON.stringify(prefix)}); edit it by hand`,
    );
  }
  const { at, eol } = afterLineOf(text, last.range[1]);
  if (eol === undefined) return [{ offset: at, text: `${defaultEol}${prefix}${rendered}` }];
  return [{ offset: at, text: `${prefix}${rendered}${eol}` }];
}

function applyInsertions(text: string, insertions: Insertion[]): string {
  let result = text;
  // From the end backwards so earlier offsets stay valid; equal offsets keep their planned order.
  const ordered = insertions.map((insertion, index) => ({ ...insertion, index }));
  ordered.sort((a, b) => b.offset - a.offset || b.index - a.index);
  for (const { offset, text: inserted } of ordered) result = result.slice(0, offset) + inserted + result.slice(offset);
  return result;
}

/**
 * Adds `entry` to every `jobs.*.strategy.matrix.<matrixKey>` list that lacks it: the same line for a flow list,
 * one added line for a block list or a flow list written one entry per line. Quoting follows the existing entries.
 * Returns `changed: false` and the text untouched when every list already holds the entry.
 */
export function addMatrixEntry(
  workflowText: string,
  matrixKey: string,
  entry: string,
  options: AddMatrixEntryOptions = {},
): MatrixEdit {
  if (entry === '' || /\p{Cc}/u.test(entry)) {
    throw new InvalidInput(
      `Matrix entry ${JSON.stringify(entry)} must be a non-empty folder path without control characters`,
    );
  }
  const maxEntries = options.maxEntries ?? GITHUB_MATRIX_LIMIT;
  const doc = parseWorkflow(workflowText);
  const targets = locateMatrixLists(doc, matrixKey).filter((list) => !list.entries.includes(entry));
  if (targets.length === 0) return { changed: false, text: workflowText };

  for (const { job, entries, jobsPerEntry } of targets) {
    const jobs = (entries.length + 1) * jobsPerEntry;
    if (jobs > maxEntries) {
      throw new MatrixLimitExceeded(
        `Adding ${entry} to jobs.${job}.strategy.matrix would make ${jobs} jobs, over the limit of ${maxEntries} per ` +
          'matrix; split the accounts over several jobs or workflows. The workflow was not changed.',
      );
    }
  }

  const defaultEol = workflowText.includes('\r\n') ? '\r\n' : '\n';
  const insertions = targets.flatMap(({ seq }) => {
    const rendered = quote(entry, quoteStyleOf(seq));
    return seq.flow
      ? flowInsertions(workflowText, seq, rendered, defaultEol)
      : blockInsertions(workflowText, seq, rendered, defaultEol);
  });
  const text = applyInsertions(workflowText, insertions);

  if (options.verify === false) return { changed: true, text };
  // The edited text must read as the same workflow plus the entry in each target list, and nothing else.
  const expected = doc.toJS() as { jobs: Record<string, { strategy: { matrix: Record<string, string[]> } }> };
  for (const { job } of targets) expected.jobs[job]?.strategy.matrix[matrixKey]?.push(entry);
  const edited = parseDocument(text);
  if (edited.errors.length > 0 || !isDeepStrictEqual(edited.toJS(), expected)) {
    throw new WorkflowMatrixNotFound(
      `Adding ${entry} to the ${matrixKey} matrix could not be done as a minimal edit of this workflow; add it by hand`,
    );
  }
  return { changed: true, text };
}
