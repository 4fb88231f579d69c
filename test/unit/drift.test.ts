import { planRole, type RoleObservation } from '../../functions/lib/cicd-role';
import type { OnboardingConfig } from '../../functions/lib/config';
import { DRIFT_CLASSES, type InventoryAccount, orphanFolders, repoDrift, summarize } from '../../functions/lib/drift';
import { WorkflowMatrixNotFound } from '../../functions/lib/errors';
import type { RepoObservation as RepoSnapshot } from '../../functions/lib/repo-plan';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import { desiredStatement, desiredTrust } from '../support/ensure-cicd-role-fixtures';
import {
  accounts,
  onboardedRepoFiles,
  onboardingHash,
  reconcileConfig,
  snapshotOf,
  WORKFLOW_PATH,
  workflowListing,
} from '../support/reconcile-fixtures';
import { FROM_JSON_WORKFLOW } from '../support/workflows';

const config = reconcileConfig();
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const encoded = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const managed: Record<string, string> = { 'managed-by': 'oidc-account-onboarding' };

/** What the sweep reports for a role: the role plan's changes. */
const roleDrift = (observation: RoleObservation, cfg: OnboardingConfig) =>
  planRole(observation, cfg).map(({ action: _, ...change }) => change);

const classesOf = (findings: { class: string }[]) => findings.map((f) => f.class);

/** Repo drift of the first account of an organization of three, after `edit` changed the repo. */
function repoFindings(
  edit: (files: Record<string, string | undefined>, org: InventoryAccount[]) => void,
  snapshotEdit: (s: RepoSnapshot, org: InventoryAccount[], files: Record<string, string>) => void = () => {},
) {
  const org = accounts(3);
  const files: Record<string, string | undefined> = onboardedRepoFiles(org, config);
  edit(files, org);
  const clean = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const snapshot = snapshotOf(clean);
  snapshotEdit(snapshot, org, clean);
  return repoDrift(org, snapshot, config)[0];
}

describe('roleDrift', () => {
  const present = (trust: unknown, attached = [ADMIN], tags = managed) => ({
    kind: 'present' as const,
    arn: 'arn:aws:iam::200000000000:role/cicd',
    trustPolicyDocument: encoded(trust),
    tags,
    attachedPolicyArns: attached,
  });

  it('finds nothing for a role exactly as configured (URL-encoded, reordered by IAM)', () => {
    // Prepare
    const reserialised = { Statement: { ...desiredStatement, Action: ['sts:AssumeRole'] }, Version: '2012-10-17' };
    // Act / Assess
    expect(roleDrift(present(reserialised), config)).toEqual([]);
  });

  it('reports role-missing when the account has no cicd role', () => {
    expect(classesOf(roleDrift({ kind: 'missing' }, config))).toEqual(['role-missing']);
  });

  it('reports trust-policy-changed with what differs when a human widened the trust', () => {
    // Prepare
    const widened = {
      ...desiredTrust,
      Statement: [
        {
          ...desiredStatement,
          Principal: {
            AWS: ['arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction', 'arn:aws:iam::999999999999:root'],
          },
        },
      ],
    };
    // Act
    const [finding, ...rest] = roleDrift(present(widened), config);
    // Assess
    expect(rest).toEqual([]);
    expect(finding?.class).toBe('trust-policy-changed');
    expect(finding?.detail).toContain('principal arn:aws:iam::999999999999:root is not expected');
    expect(finding?.remediable).toBe(true);
  });

  it('reports a trust without aws:PrincipalOrgID (written before) as trust-policy-changed, and its update as clean', () => {
    // Prepare
    const organization = 'o-a1b2c3d4e5';
    const updated = buildTrustPolicy(config, 'aws', organization);

    // Act
    const before = planRole(present(desiredTrust), config, 'aws', { organizationId: organization });
    const after = planRole(present(updated), config, 'aws', { organizationId: organization });

    // Assess
    expect(before.map((c) => [c.class, c.remediable, c.action.type])).toEqual([
      ['trust-policy-changed', true, 'update-trust'],
    ]);
    expect(before[0]?.detail).toBe(`condition StringEquals aws:principalorgid=${organization} is missing`);
    expect(after).toEqual([]);
  });

  it('reports trust-principal-rewritten when IAM replaced the deleted tooling role by its AROA id', () => {
    // Prepare
    const rewritten = {
      ...desiredTrust,
      Statement: [{ ...desiredStatement, Principal: { AWS: 'AROAEXAMPLEDELETED123' } }],
    };
    // Act
    const findings = roleDrift(present(rewritten), config);
    // Assess
    expect(classesOf(findings)).toEqual(['trust-principal-rewritten']);
    expect(findings[0]?.detail).toMatch(/AROAEXAMPLEDELETED123.*tooling role was recreated/);
  });

  it('reports policy-detached naming the policy a human detached', () => {
    const findings = roleDrift(present(desiredTrust, []), config);
    expect(findings).toEqual([{ class: 'policy-detached', detail: `${ADMIN} is not attached`, remediable: true }]);
  });

  it('reports account-not-assumable, not remediable, with the message that says what to do', () => {
    // Act
    const findings = roleDrift({ kind: 'not-assumable', message: 'create OrganizationAccountAccessRole' }, config);
    // Assess
    expect(findings).toEqual([
      { class: 'account-not-assumable', detail: 'create OrganizationAccountAccessRole', remediable: false },
    ]);
  });

  it('reports role-not-managed instead of trust drift for a cicd role someone else owns', () => {
    const findings = roleDrift(present({ Statement: [] }, [], {}), config);
    expect(classesOf(findings)).toEqual(['role-not-managed']);
    expect(findings[0]?.remediable).toBe(false);
  });
});

describe('repoDrift', () => {
  it('finds nothing for an account whose folder, tfvars and matrix entry are on the base branch', () => {
    const result = repoFindings(() => {});
    expect(result?.findings).toEqual([]);
  });

  it('reports folder-missing when the folder was deleted (the matrix entry alone remains)', () => {
    // Act
    const result = repoFindings((files) => {
      for (const name of Object.keys(files))
        if (name.startsWith('aws-accounts/workload-0000/')) files[name] = undefined;
    });
    // Assess
    expect(classesOf(result?.findings ?? [])).toEqual(['folder-missing']);
    expect(result?.findings[0]?.detail).toContain('aws-accounts/workload-0000 does not exist');
  });

  it('never re-points a folder that names another id: the account gets its collision folder', () => {
    // Act
    const result = repoFindings((files) => {
      files['aws-accounts/workload-0000/terraform.tfvars'] = 'aws_account_id = "999999999999"\n';
    });
    // Assess
    expect(result?.findings.map((f) => [f.class, f.remediable])).toEqual([
      ['folder-missing', true],
      ['matrix-entry-missing', true],
    ]);
    expect(result?.findings[0]?.detail).toContain('aws-accounts/workload-0000-200000000000 does not exist');
  });

  it('reports tfvars-account-id, not remediable, when two folders name one account (a typo in an id)', () => {
    // Act: workload-0000's tfvars says workload-0001's id
    const org = accounts(3);
    const files = onboardedRepoFiles(org, config);
    files['aws-accounts/workload-0000/terraform.tfvars'] = 'aws_account_id = "200000000001"\n';
    const [first, second] = repoDrift(org, snapshotOf(files), config);
    // Assess: neither account is handed the other's folder, and neither change is applied by a run
    expect(first?.findings.map((f) => [f.class, f.remediable])).toEqual([['tfvars-account-id', false]]);
    expect(first?.findings[0]?.detail).toMatch(
      /aws-accounts\/workload-0000\/terraform.tfvars names account 200000000001/,
    );
    expect(second?.findings.map((f) => [f.class, f.remediable])).toEqual([['tfvars-account-id', false]]);
  });

  it('finds a renamed account by the id in its tfvars rather than reporting its folder missing', () => {
    // Prepare
    const org = accounts(2);
    const snapshot = snapshotOf(onboardedRepoFiles(org, config));
    const renamed = [{ ...(org[0] as InventoryAccount), name: 'Payments Prod' }, org[1] as InventoryAccount];
    // Act / Assess
    expect(repoDrift(renamed, snapshot, config)[0]?.findings).toEqual([]);
  });

  it('reports matrix-entry-missing when the folder is no longer in the workflow matrix', () => {
    // Act
    const result = repoFindings((files, org) => {
      files[WORKFLOW_PATH] = workflowListing(org.slice(1).map((a) => `aws-accounts/${a.name}`));
    });
    // Assess
    expect(classesOf(result?.findings ?? [])).toEqual(['matrix-entry-missing']);
  });

  it('treats an open pull request that matches the current base as pending review, not drift', () => {
    // Act
    const result = repoFindings(
      (files) => {
        for (const name of Object.keys(files))
          if (name.startsWith('aws-accounts/workload-0000/')) files[name] = undefined;
        files[WORKFLOW_PATH] = workflowListing(['aws-accounts/workload-0001', 'aws-accounts/workload-0002']);
      },
      (snapshot, org, files) => {
        const hash = onboardingHash(org[0] as InventoryAccount, files, config);
        snapshot.pulls = [
          {
            number: 7,
            accountId: '200000000000',
            state: 'open',
            merged: false,
            url: 'https://github.com/acme/terraform-aws/pull/7',
            headSha: 'a'.repeat(40),
            marker: { accountId: '200000000000', hash, folder: 'aws-accounts/workload-0000', commit: 'a'.repeat(40) },
          },
        ];
      },
    );
    // Assess
    expect(result?.findings).toEqual([]);
    expect(result?.pendingPullRequest).toBe('https://github.com/acme/terraform-aws/pull/7');
  });

  it('reports pr-stale when the base moved under the open pull request (it would no longer merge cleanly)', () => {
    // Act: the PR was made on a base whose workflow listed only workload-0001; main gained workload-0002 since.
    const result = repoFindings(
      (files) => {
        for (const name of Object.keys(files))
          if (name.startsWith('aws-accounts/workload-0000/')) files[name] = undefined;
        files[WORKFLOW_PATH] = workflowListing(['aws-accounts/workload-0001', 'aws-accounts/workload-0002']);
      },
      (snapshot, org, files) => {
        const oldBase = { ...files, [WORKFLOW_PATH]: workflowListing(['aws-accounts/workload-0001']) };
        const hash = onboardingHash(org[0] as InventoryAccount, oldBase, config);
        const marker = {
          accountId: '200000000000',
          hash,
          folder: 'aws-accounts/workload-0000',
          commit: 'a'.repeat(40),
        };
        snapshot.pulls = [
          {
            number: 7,
            accountId: '200000000000',
            state: 'open',
            merged: false,
            url: 'u7',
            headSha: 'a'.repeat(40),
            marker,
          },
        ];
      },
    );
    // Assess
    expect(classesOf(result?.findings ?? [])).toEqual(['folder-missing', 'matrix-entry-missing', 'pr-stale']);
    expect(result?.findings.every((f) => f.remediable)).toBe(true);
  });

  it('reports pr-declined, not remediable, when a human closed the onboarding pull request unmerged', () => {
    // Act
    const result = repoFindings(
      (files) => {
        for (const name of Object.keys(files))
          if (name.startsWith('aws-accounts/workload-0000/')) files[name] = undefined;
      },
      (snapshot) => {
        snapshot.pulls = [
          { number: 3, accountId: '200000000000', state: 'closed', merged: false, url: 'u3', headSha: 'b'.repeat(40) },
        ];
      },
    );
    // Assess
    expect(classesOf(result?.findings ?? [])).toEqual(['pr-declined']);
    expect(result?.findings[0]?.remediable).toBe(false);
    expect(result?.findings[0]?.detail).toContain('"force": true');
  });

  it('does not take a merged pull request for a declined one', () => {
    const result = repoFindings(
      (files) => {
        for (const name of Object.keys(files))
          if (name.startsWith('aws-accounts/workload-0000/')) files[name] = undefined;
      },
      (snapshot) => {
        snapshot.pulls = [
          { number: 3, accountId: '200000000000', state: 'closed', merged: true, url: 'u3', headSha: 'b'.repeat(40) },
        ];
      },
    );
    expect(classesOf(result?.findings ?? [])).toEqual(['folder-missing']);
  });

  it('marks a missing matrix entry not remediable when the matrix is full', () => {
    // Prepare
    const org = accounts(1);
    const files = onboardedRepoFiles(org, config);
    files[WORKFLOW_PATH] = workflowListing(Array.from({ length: 256 }, (_, i) => `aws-accounts/other-${i}`));
    // Act
    const [result] = repoDrift(org, snapshotOf(files), config);
    // Assess
    expect(result?.findings).toEqual([expect.objectContaining({ class: 'matrix-entry-missing', remediable: false })]);
  });
});

describe('repoDrift across the batches of one run (a warm container)', () => {
  it('gives each batch the same findings as a single pass over every account', () => {
    // Prepare: six accounts, two of them missing from the matrix
    const org = accounts(6);
    const files = onboardedRepoFiles(org, config);
    const listed = org.slice(2).map((a) => `aws-accounts/${a.name}`);
    files[WORKFLOW_PATH] = workflowListing(listed);
    const snapshot = snapshotOf(files);
    const whole = repoDrift(org, snapshot, config);

    // Act: the same snapshot checked as three batches, as the Map's iterations do
    const batches = [org.slice(0, 2), org.slice(2, 4), org.slice(4)].flatMap((batch) =>
      repoDrift(batch, snapshot, config),
    );

    // Assess
    expect(batches).toEqual(whole);
    expect(whole.map((r) => classesOf(r.findings))).toEqual([
      ['matrix-entry-missing'],
      ['matrix-entry-missing'],
      [],
      [],
      [],
      [],
    ]);
  });

  it('fails every batch, not only the first, when the matrix cannot take an entry', () => {
    // Prepare: a matrix computed by an expression (no literal list to add the folder to)
    const org = accounts(4);
    const files = onboardedRepoFiles(org, config);
    files[WORKFLOW_PATH] = FROM_JSON_WORKFLOW;
    const snapshot = snapshotOf(files);

    // Act / Assess
    expect(() => repoDrift(org.slice(0, 2), snapshot, config)).toThrow(WorkflowMatrixNotFound);
    expect(() => repoDrift(org.slice(2), snapshot, config)).toThrow(WorkflowMatrixNotFound);
  });
});

describe('orphanFolders', () => {
  it('reports folders whose account left the organization or is suspended', () => {
    // Prepare
    const org = accounts(3);
    const files = onboardedRepoFiles(org, config);
    const [, suspended, gone] = org as [InventoryAccount, InventoryAccount, InventoryAccount];
    const members = [org[0] as InventoryAccount, { ...suspended, status: 'SUSPENDED' }];
    // Act
    const orphans = orphanFolders(members, snapshotOf(files));
    // Assess
    expect(orphans).toEqual([
      {
        folder: 'aws-accounts/workload-0001',
        accountId: suspended.accountId,
        reason: `account ${suspended.accountId} (workload-0001) is SUSPENDED`,
      },
      {
        folder: 'aws-accounts/workload-0002',
        accountId: gone.accountId,
        reason: `account ${gone.accountId} is not a member of the organization (it left, or the id is wrong)`,
      },
    ]);
  });
});

describe('summarize', () => {
  it('counts findings by class, lists each drifted account once and says whether a run can fix it', () => {
    // Act
    const summary = summarize(
      [
        { accountId: '200000000001', name: 'b', findings: [{ class: 'pr-declined', detail: 'x', remediable: false }] },
        {
          accountId: '200000000000',
          name: 'a',
          findings: [
            { class: 'matrix-entry-missing', detail: 'm', remediable: true },
            { class: 'role-missing', detail: 'r', remediable: true },
          ],
        },
        { accountId: '200000000002', name: 'c', findings: [] },
      ],
      [{ folder: 'aws-accounts/old', reason: 'gone' }],
      4,
    );
    // Assess
    expect(summary.accountsChecked).toBe(3);
    expect(summary.driftedAccounts).toBe(2);
    expect(summary.skipped).toBe(4);
    expect(Object.keys(summary.counts)).toEqual([...DRIFT_CLASSES]);
    expect(summary.counts).toMatchObject({
      'role-missing': 1,
      'matrix-entry-missing': 1,
      'pr-declined': 1,
      'orphan-folder': 1,
      'pr-stale': 0,
    });
    expect(summary.accounts.map((a) => [a.accountId, a.drift, a.remediable])).toEqual([
      ['200000000000', ['role-missing', 'matrix-entry-missing'], true],
      ['200000000001', ['pr-declined'], false],
    ]);
  });
});
