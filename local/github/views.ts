// The JSON shapes GitHub answers with for users, the repository, refs, commits, changed files, contents and labels:
// the fields Octokit users read, with the URLs GitHub puts in them.
import type { CommitInfo, FileChange } from './git-types';
import type { CredentialGrants, RepoModelOptions } from './repo-context';

export class Views {
  /** `<base>/repos/<owner>/<repo>`: the API URL of the repository */
  readonly api: string;
  /** `<base>/<owner>/<repo>`: the web URL of the repository */
  readonly html: string;
  /** GitHub gives each label an id; the stand-in numbers them as they are first shown */
  private readonly labelIds = new Map<string, number>();

  constructor(
    private readonly options: RepoModelOptions,
    private readonly grants: CredentialGrants,
  ) {
    this.api = `${options.baseUrl}/repos/${options.owner}/${options.repo}`;
    this.html = `${options.baseUrl}/${options.owner}/${options.repo}`;
  }

  user(login = this.options.login) {
    return {
      login,
      id: 1,
      node_id: 'U_stand-in',
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      site_admin: false,
      url: `${this.options.baseUrl}/users/${login}`,
      html_url: `${this.options.baseUrl}/${login}`,
    };
  }

  repo() {
    const { owner, repo, defaultBranch } = this.options;
    return {
      id: 1,
      node_id: 'R_stand-in',
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { ...this.user(owner), type: 'Organization' },
      private: true,
      visibility: 'private',
      html_url: this.html,
      url: this.api,
      default_branch: defaultBranch,
      archived: false,
      disabled: false,
      fork: false,
      allow_merge_commit: true,
      allow_squash_merge: true,
      allow_rebase_merge: true,
      delete_branch_on_merge: false,
      permissions: { ...this.grants.repository },
    };
  }

  ref(ref: string, sha: string) {
    return {
      ref,
      node_id: `REF_${sha.slice(0, 8)}`,
      url: `${this.api}/git/${ref}`,
      object: { sha, type: 'commit', url: `${this.api}/git/commits/${sha}` },
    };
  }

  /** A commit as the git data API (git/commits) shows it. */
  gitCommit(commit: CommitInfo) {
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 8)}`,
      url: `${this.api}/git/commits/${commit.sha}`,
      html_url: `${this.html}/commit/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.tree, url: `${this.api}/git/trees/${commit.tree}` },
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.api}/git/commits/${sha}`,
        html_url: `${this.html}/commit/${sha}`,
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  /** A commit as the repository API (commits, compare) shows it. */
  repoCommit(commit: CommitInfo) {
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 8)}`,
      url: `${this.api}/commits/${commit.sha}`,
      html_url: `${this.html}/commit/${commit.sha}`,
      commit: {
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        tree: { sha: commit.tree, url: `${this.api}/git/trees/${commit.tree}` },
        url: `${this.api}/git/commits/${commit.sha}`,
        comment_count: 0,
      },
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({ sha, url: `${this.api}/commits/${sha}` })),
    };
  }

  file(change: FileChange) {
    return {
      ...change,
      blob_url: `${this.html}/blob/${change.sha}/${change.filename}`,
      raw_url: `${this.html}/raw/${change.sha}/${change.filename}`,
      contents_url: `${this.api}/contents/${change.filename}`,
    };
  }

  content(path: string, sha: string, type: 'file' | 'dir', size: number, ref: string) {
    const name = path.split('/').pop() ?? path;
    const self = `${this.api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${this.api}/git/${type === 'file' ? 'blobs' : 'trees'}/${sha}`;
    const html = `${this.html}/${type === 'file' ? 'blob' : 'tree'}/${ref}/${path}`;
    return {
      type,
      name,
      path,
      sha,
      size,
      url: self,
      git_url: git,
      html_url: html,
      download_url: type === 'file' ? `${this.html}/raw/${ref}/${path}` : null,
      _links: { self, git, html },
    };
  }

  label(name: string) {
    const id = this.labelIds.get(name) ?? this.labelIds.size + 1;
    this.labelIds.set(name, id);
    return {
      id,
      node_id: `LA_${id}`,
      url: `${this.api}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    };
  }
}
