/** The workflow check: the Terraform workflow's account matrix is readable and has room for more accounts. */
import { type GitHubCredentials, httpStatus } from '../../functions/lib/github-client';
import { GITHUB_MATRIX_LIMIT, readMatrixLists } from '../../functions/lib/workflow-matrix';
import { type Context, errorText, fail, type Outcome, pass, warn } from './checks';
import { githubFor } from './github';

/** Fewer free matrix slots than this is a warning: a burst of new accounts would hit GitHub's limit. */
const HEADROOM_WARNING = 10;

/** The workflow file's text on the base branch, or the failed outcome saying why it could not be read. */
async function readWorkflow(context: Context, credentials: GitHubCredentials): Promise<string | Outcome> {
  const { config, options } = context;
  const { owner, repo, baseBranch, workflowPath } = config.github;
  const octokit = githubFor(config, options, credentials);
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path: workflowPath, ref: baseBranch });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
      return fail(`${workflowPath} on ${baseBranch} is not a file`, 'set github.workflowPath to the workflow file');
    }
    return Buffer.from(data.content, 'base64').toString('utf8');
  } catch (error) {
    return fail(
      `${workflowPath} could not be read on ${baseBranch} of ${owner}/${repo} (${httpStatus(error) ?? errorText(error)})`,
      'set github.workflowPath and github.baseBranch to the workflow that runs Terraform per account folder',
    );
  }
}

export async function checkWorkflow(context: Context, credentials: GitHubCredentials): Promise<Outcome> {
  const { config } = context;
  const { workflowPath, matrixKey } = config.github;
  const text = await readWorkflow(context, credentials);
  if (typeof text !== 'string') return text;
  const literalList = `list the account folders in a literal matrix (strategy: matrix: ${matrixKey}: ['${config.github.accountsDir}/…']) or set github.matrixKey`;
  let lists: ReturnType<typeof readMatrixLists>;
  try {
    lists = readMatrixLists(text, matrixKey);
  } catch (error) {
    return fail(
      `${workflowPath}: ${(error as Error).message}`,
      (error as Error).name === 'WorkflowMatrixNotFound'
        ? literalList
        : 'fix the workflow YAML (actionlint tells where)',
    );
  }
  if (lists.length === 0) return fail(`${workflowPath} has no jobs.*.strategy.matrix.${matrixKey} list`, literalList);
  const fullest = lists
    .map((l) => ({ ...l, jobs: l.entries.length * l.jobsPerEntry }))
    .map((l) => ({ ...l, room: Math.floor((GITHUB_MATRIX_LIMIT - l.jobs) / Math.max(l.jobsPerEntry, 1)) }))
    .sort((a, b) => a.room - b.room)[0] as { job: string; jobs: number; room: number; entries: string[] };
  const detail = `${workflowPath}: job ${fullest.job} runs ${fullest.jobs} of ${GITHUB_MATRIX_LIMIT} matrix jobs (${fullest.entries.length} folders), room for ${Math.max(fullest.room, 0)} more account(s)`;
  const split = `split the workflow (e.g. one per OU) before it reaches GitHub's ${GITHUB_MATRIX_LIMIT} jobs per matrix`;
  if (fullest.room <= 0) return fail(detail, split);
  if (fullest.room < HEADROOM_WARNING) return warn(detail, split);
  return pass(detail);
}
