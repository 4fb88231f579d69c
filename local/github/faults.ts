// The failures real GitHub produces, injected on demand: 502s and secondary (content-creation) rate limits.
import { isContentCreating, type RouteResponse } from './route-kit';
import { errorBody } from './wire';

export interface GitHubFaults {
  /** the next `count` content-creating requests get 403 "secondary rate limit" with `retry-after` */
  secondaryRateLimit?: { count: number; retryAfterSeconds: number };
  /** the next `count` requests get 502 */
  badGateway?: { count: number };
  /** limits the faults above to the requests it accepts; `route` as in `requests`, e.g. `POST /repos/{owner}/{repo}/pulls` */
  only?: (method: string, route: string) => boolean;
}

const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

export class FaultInjector {
  private faults: GitHubFaults = {};

  /** Replaces the pending faults (their counts are copied, then used up). */
  set(next: GitHubFaults): void {
    this.faults = {
      ...next,
      secondaryRateLimit: next.secondaryRateLimit && { ...next.secondaryRateLimit },
      badGateway: next.badGateway && { ...next.badGateway },
    };
  }

  /** The failure this request gets, if one is pending for it (and then one fewer is). */
  take(method: string, routeName: string): RouteResponse | undefined {
    const { only, badGateway, secondaryRateLimit } = this.faults;
    if (only && !only(method, routeName)) return undefined;
    if (badGateway && badGateway.count > 0) {
      badGateway.count -= 1;
      return { status: 502, body: { message: 'Server Error' } };
    }
    if (isContentCreating(method) && secondaryRateLimit && secondaryRateLimit.count > 0) {
      secondaryRateLimit.count -= 1;
      return {
        status: 403,
        body: errorBody(403, SECONDARY_LIMIT_MESSAGE),
        headers: { 'retry-after': `${secondaryRateLimit.retryAfterSeconds}` },
      };
    }
    return undefined;
  }
}
