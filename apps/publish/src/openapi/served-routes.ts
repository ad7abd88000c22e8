import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule } from '@vigil/auth';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One route a controller declares, read from the same decorator metadata Nest's router and the guard read. */
export interface ServedRoute {
  /** `GET /api/cameras/:id`: the method and path as Nest maps and logs them */
  key: string;
  method: HttpMethod;
  path: string;
  /** its @Access rule (the handler's, else its controller's); undefined when it declares none */
  rule: AccessRule | undefined;
  /** `CamerasController.get`, for messages */
  handler: string;
}

export type RuleOf = (handler: (...args: never[]) => unknown, controller: Type) => AccessRule | undefined;

/** The guard's own lookup: the handler's rule overrides its controller's. */
export function accessRuleReader(reflector: Reflector = new Reflector()): RuleOf {
  return (handler, controller) => reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, controller]);
}

/** Every HTTP route of these controllers; methods without a route decorator (message handlers) are not routes. */
export function servedRoutes(controllers: readonly Type[], ruleOf: RuleOf = accessRuleReader()): ServedRoute[] {
  const scanner = new MetadataScanner();
  const routes: ServedRoute[] = [];
  for (const controller of new Set(controllers)) {
    const prefixes = paths(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = controller.prototype[name] as (...args: never[]) => unknown;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (requestMethod === undefined) continue;
      const method = RequestMethod[requestMethod] as HttpMethod;
      if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new Error(`${controller.name}.${name}: ${RequestMethod[requestMethod]} routes cannot be described`);
      for (const prefix of prefixes) {
        for (const suffix of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
          const path = joinPath(prefix, suffix);
          routes.push({ key: `${method} ${path}`, method, path, rule: ruleOf(handler, controller), handler: `${controller.name}.${name}` });
        }
      }
    }
  }
  return routes;
}

/** Nest's own joining: each part gets one leading slash, the whole no trailing one; nothing at all is `/`. */
export function joinPath(...parts: string[]): string {
  const joined = parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
  return `/${joined}`;
}

function paths(metadata: unknown): string[] {
  if (metadata === undefined) return [''];
  return Array.isArray(metadata) ? metadata.map(String) : [String(metadata)];
}
