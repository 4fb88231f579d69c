// Who may call: a repository request carries the configured token (or an installation token the stand-in issued);
// the App's own requests carry its JWT, whose issuer is checked (not its signature).
import type { Route } from './route-kit';

export interface CredentialRules {
  /** when set, every repository request must carry it (or an issued installation token) */
  token?: string;
  /** when set, GitHub App JWTs must carry this `iss` */
  appId?: string | number;
  isIssuedToken(token: string): boolean;
}

/** The token of an `Authorization: token|Bearer <token>` header. */
export function bearer(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function jwtIssuer(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    return String(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).iss);
  } catch {
    return undefined;
  }
}

/** GitHub's 401 message for the request's credentials, or undefined when they are accepted. */
export function authProblem(
  auth: Route['auth'],
  header: string | undefined,
  rules: CredentialRules,
): string | undefined {
  const token = bearer(header);
  if (auth === 'app-jwt') {
    const issuer = token && jwtIssuer(token);
    if (!issuer) return 'A JSON web token could not be decoded';
    if (rules.appId !== undefined && issuer !== String(rules.appId)) return 'Bad credentials';
    return undefined;
  }
  if (rules.token === undefined) return undefined;
  if (!token) return 'Requires authentication';
  if (token !== rules.token && !rules.isIssuedToken(token)) return 'Bad credentials';
  return undefined;
}
