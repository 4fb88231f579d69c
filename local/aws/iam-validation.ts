/** IAM's checks of what a request writes to a role, with IAM's own error codes and messages. */
import { AwsError } from './protocols';
import type { Tag } from './state-common';

export const noSuchRole = (name: string) =>
  new AwsError('NoSuchEntity', 404, `The role with name ${name} cannot be found.`);

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const validationError = (member: string, constraint: string, value?: unknown) =>
  new AwsError(
    'ValidationError',
    400,
    `1 validation error detected: Value ${value === undefined ? '' : `'${value}' `}at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/** CreateRole's checks of the name, path, session duration and description; returns the path and the duration. */
export function validateRoleInput(input: {
  roleName: string;
  path?: string;
  maxSessionDuration?: number;
  description?: string;
}): { path: string; maxSessionDuration: number } {
  if (!ROLE_NAME.test(input.roleName)) {
    throw validationError('roleName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]+', input.roleName);
  }
  const path = input.path ?? '/';
  if (!/^\/(?:[\x21-\x7e]*\/)?$/.test(path) || path.length > 512) {
    throw new AwsError(
      'ValidationError',
      400,
      `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
    );
  }
  const maxSessionDuration = input.maxSessionDuration ?? 3600;
  if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
    throw validationError('maxSessionDuration', 'Member must have value between 3600 and 43200', maxSessionDuration);
  }
  if ((input.description?.length ?? 0) > 1000) {
    throw validationError('description', 'Member must have length less than or equal to 1000');
  }
  return { path, maxSessionDuration };
}

export function validateTags(tags: Tag[]): void {
  if (tags.length > 50) throw new AwsError('LimitExceeded', 409, 'Cannot exceed quota for TagsPerRole: 50');
  for (const tag of tags) {
    if (
      !tag.Key ||
      tag.Key.length > 128 ||
      (tag.Value ?? '').length > 256 ||
      tag.Key.toLowerCase().startsWith('aws:')
    ) {
      throw new AwsError('InvalidInput', 400, `The specified tag key '${tag.Key}' is invalid.`);
    }
  }
}

export function validatePolicyName(policyName: string): void {
  if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) {
    throw new AwsError('ValidationError', 400, `The specified value for policyName is invalid.`);
  }
}
