// Lists every route registered on the express app, with the action its authorize() declared,
// by walking the router stacks (nested routers included). The role matrix test is built on it,
// so a route added anywhere, by anyone, is covered without being named in a test.
import type { Express } from 'express';
import { ACTION_TAG } from './request-auth.ts';

export interface RouteInfo {
  method: string;
  path: string;
  /** The declared action, or null for a route without authorize() (must be in PUBLIC_ROUTES). */
  action: string | null;
}

/** The parts of express 5's (router 2.x) Layer this reads; not a public API, so kept narrow. */
interface Layer {
  route?: { path: string | RegExp | Array<string | RegExp>; methods: Record<string, boolean>; stack: Layer[] };
  handle?: { stack?: Layer[]; [ACTION_TAG]?: string };
  rawPath?: string | RegExp | Array<string | RegExp>;
}

export function listRoutes(app: Express): RouteInfo[] {
  const router = (app as unknown as { router?: { stack: Layer[] } }).router;
  const out: RouteInfo[] = [];
  if (router) walk(router.stack, '', null, out);
  return out;
}

function walk(stack: Layer[], prefix: string, inherited: string | null, out: RouteInfo[]): void {
  let action = inherited;
  for (const layer of stack) {
    if (layer.route) {
      const declared = layer.route.stack.map((l) => l.handle?.[ACTION_TAG]).find((a) => typeof a === 'string') ?? action;
      for (const p of asList(layer.route.path)) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on) out.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path: prefix + String(p), action: declared });
        }
      }
    } else if (layer.handle?.stack) {
      for (const mount of asList(layer.rawPath ?? '/')) walk(layer.handle.stack, prefix + (mount === '/' ? '' : String(mount)), action, out);
    } else if (typeof layer.handle?.[ACTION_TAG] === 'string') {
      // router.use(authorize(x)) guards every route after it in the same stack.
      action = layer.handle[ACTION_TAG]!;
    }
  }
}

function asList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}
