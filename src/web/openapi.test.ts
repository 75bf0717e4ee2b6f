import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH } from './openapi.js';
import { TEST_BASE_URL, useWebFixture } from './test-support/web-fixture.js';

/** `/api/branch/:branch` → `/api/branch/{branch}`, as OpenAPI writes paths. */
const openApiPath = (route: string) => route.replace(/:(\w+)/g, '{$1}');

/** Every route and its methods, read from Fastify's printed route tree (each level indents 4 characters; a node's path continues its parent's). */
function routeList(tree: string): { path: string; methods: string[] }[] {
  const stack: string[] = [];
  const routes: { path: string; methods: string[] }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${match[2]!}`;
    stack.push(path);
    const methods = (match[3] ?? '').split(', ').filter((method) => method !== '' && method !== 'HEAD');
    if (methods.length > 0) routes.push({ path: openApiPath(path), methods: methods.map((method) => method.toLowerCase()) });
  }
  return routes;
}

describe('OpenAPI document', () => {
  const web = useWebFixture('sqlite');

  it('documents every JSON API route the server has', async () => {
    const document = await web().getJson<{ openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, unknown>> }>(OPENAPI_PATH);
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: TEST_BASE_URL }]);
    const routes = routeList(web().app.printRoutes()).filter((route) => route.path.startsWith('/api'));
    expect(routes.length).toBeGreaterThan(8);
    for (const route of routes) {
      for (const method of route.methods) {
        // Methods a path does not take answer 405 and need no documenting.
        const url = route.path.replace(/\{\w+\}/g, 'x');
        if ((await web().app.inject({ method: method.toUpperCase() as 'GET', url })).statusCode === 405) continue;
        expect(document.paths[route.path]?.[method], `${method} ${route.path}`).toBeDefined();
      }
    }
  });

  it('lists parameters every GET operation accepts: each example answers 200', async () => {
    interface DocumentedParameter {
      readonly name: string;
      readonly in: string;
      readonly example?: string;
      readonly 'x-needs'?: string;
    }
    const document = await web().getJson<{ paths: Record<string, { get?: { parameters?: DocumentedParameter[] } }> }>(OPENAPI_PATH);
    let tried = 0;
    for (const [path, { get }] of Object.entries(document.paths)) {
      const parameters = get?.parameters ?? [];
      const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
      // The feeds take any branch, package or maintainer and give no example.
      if (get === undefined || pathParameters.some((parameter) => parameter.example === undefined)) continue;
      const url = pathParameters.reduce((built, parameter) => built.replace(`{${parameter.name}}`, encodeURIComponent(parameter.example!)), path);
      expect((await web().get(url)).statusCode, url).toBe(200);
      for (const parameter of parameters.filter((candidate) => candidate.in === 'query')) {
        expect(parameter.example, `${path} ${parameter.name}`).toBeDefined();
        const withQuery = `${url}?${parameter.name}=${encodeURIComponent(parameter.example!)}${parameter['x-needs'] === undefined ? '' : `&${parameter['x-needs']}`}`;
        expect((await web().get(withQuery)).statusCode, withQuery).toBe(200);
        tried += 1;
      }
    }
    expect(tried).toBeGreaterThan(20);
  });
});
