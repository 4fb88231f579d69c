import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLSeq } from 'yaml';
import { WorkflowMatrixNotFound } from './errors';
import { readMatrixLists } from './workflow-matrix';

/**
 * The inverse of addMatrixEntry (workflow-matrix.ts): takes a folder out of every `jobs.*.strategy.matrix.<key>`
 * list with the smallest textual change. The text is never re-serialised: an entry on its own line (block list, or a
 * flow list written one entry per line) loses that line; an entry inside a one-line flow list is cut with one of
 * its separators, so the line keeps its quoting, spacing and trailing comment. The result must parse as the same
 * workflow minus the entry, or the edit is refused.
 */

interface Cut {
  from: number;
  to: number;
}

const lineStart = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;

/** After the line break of the line holding `offset` (or the end of the text). */
function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

function cutsFor(text: string, seq: YAMLSeq, entry: string): Cut[] {
  const items = seq.items as Scalar[];
  const cuts: Cut[] = [];
  items.forEach((item, index) => {
    if (item.value !== entry || !item.range) return;
    const [start, end] = item.range;
    const before = text.slice(lineStart(text, start), start);
    const afterEnd = lineEnd(text, end);
    const after = text.slice(end, afterEnd);
    const ownLine = seq.flow ? /^[ \t]*$/.test(before) : /^[ \t]*-[ \t]+$/.test(before);
    // The rest of the line: an optional comma, an optional comment, the line break.
    if (ownLine && /^[ \t]*,?[ \t]*(#.*)?\r?\n?$/.test(after)) {
      cuts.push({ from: lineStart(text, start), to: afterEnd });
      return;
    }
    if (!seq.flow) {
      throw new WorkflowMatrixNotFound(
        `The matrix entry ${entry} does not stand on its own "- " line; remove it by hand`,
      );
    }
    const next = items[index + 1];
    const previous = items[index - 1];
    if (next?.range) cuts.push({ from: start, to: next.range[0] });
    else if (previous?.range) cuts.push({ from: previous.range[1], to: end });
    else cuts.push({ from: start, to: end });
  });
  return cuts;
}

export interface MatrixRemoval {
  changed: boolean;
  text: string;
}

/** Removes `entry` from every matrix list holding it; `changed: false` and the text untouched when none does. */
export function removeMatrixEntry(workflowText: string, matrixKey: string, entry: string): MatrixRemoval {
  const lists = readMatrixLists(workflowText, matrixKey).filter((l) => l.entries.includes(entry));
  if (lists.length === 0) return { changed: false, text: workflowText };
  const doc = parseDocument(workflowText);
  const jobs = doc.get('jobs', true);
  const cuts: Cut[] = [];
  if (isMap(jobs)) {
    for (const pair of jobs.items) {
      const job = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!lists.some((l) => l.job === job) || !isMap(pair.value)) continue;
      const strategy = pair.value.get('strategy', true);
      const matrix = isMap(strategy) ? strategy.get('matrix', true) : undefined;
      const seq = isMap(matrix) ? matrix.get(matrixKey, true) : undefined;
      if (isSeq(seq)) cuts.push(...cutsFor(workflowText, seq, entry));
    }
  }
  let text = workflowText;
  for (const { from, to } of [...cuts].sort((a, b) => b.from - a.from)) text = text.slice(0, from) + text.slice(to);

  const expected = doc.toJS() as { jobs: Record<string, { strategy: { matrix: Record<string, string[]> } }> };
  for (const { job } of lists) {
    const matrix = expected.jobs[job]?.strategy.matrix;
    if (matrix?.[matrixKey]) matrix[matrixKey] = matrix[matrixKey].filter((e) => e !== entry);
  }
  const edited = parseDocument(text);
  if (edited.errors.length > 0 || !isDeepStrictEqual(edited.toJS(), expected)) {
    throw new WorkflowMatrixNotFound(
      `Removing ${entry} from the ${matrixKey} matrix could not be done as a minimal edit of this workflow; remove it by hand`,
    );
  }
  return { changed: true, text };
}
