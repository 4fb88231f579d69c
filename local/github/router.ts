// Finding the route of a request: OpenAPI path templates compiled to patterns, tried in order.
import type { Route } from './route-kit';

/** path parameters that may contain slashes (branch names, file paths) */
const MULTI_SEGMENT = new Set(['ref', 'path', 'basehead']);

export interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

export function compileRoute(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return MULTI_SEGMENT.has(name) ? '(.*)' : '([^/]+)';
  });
  return { ...route, names, pattern: new RegExp(`^${source}/?$`) };
}

/** The first route (among those `serves` accepts, when given) whose method and path fit, with its path parameters. */
export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  pathname: string,
  serves?: (method: string, route: string) => boolean,
): { route: CompiledRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method || (serves && !serves(method, `${method} ${route.path}`))) continue;
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
    return { route, params };
  }
  return undefined;
}
