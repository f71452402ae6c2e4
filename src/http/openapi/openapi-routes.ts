/**
 * `GET /openapi.json` (every dialect, plus the shared and admin routes), `GET /openapi/<dialect>.json`,
 * and `GET /docs`: Swagger UI from the swagger-ui-dist package, every asset served from here so the
 * page calls no outside host (the online validator badge is turned off). No key needed: the
 * documents describe the API, they hold nothing of anyone's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { reelayError } from '../reelay-error.ts';
import { buildOpenApiDocuments } from './documents.ts';
import { DOC_DIALECTS, type DocDialect } from './operations.ts';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The files of swagger-ui-dist the page loads, by the name it loads them under. */
const PACKAGE_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': CSS,
  'swagger-ui-bundle.js': JS,
  'swagger-ui-standalone-preset.js': JS,
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  var urls = [{ url: '/openapi.json', name: 'All dialects' }].concat(${JSON.stringify(DOC_DIALECTS)}.map(function (d) {
    return { url: '/openapi/' + d + '.json', name: d };
  }));
  window.ui = SwaggerUIBundle({
    urls: urls,
    'urls.primaryName': 'All dialects',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout'
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reelay API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body>
</html>
`;

function packageDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

export function createOpenApiRoutes(deps: { models: readonly string[] }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const documents = buildOpenApiDocuments({ models: deps.models });
  const assets = new Map<string, Buffer>();
  // Read on first request, then kept: the bundle is 1.7 MB and most servers never show the page.
  const asset = (name: string): Buffer => {
    let file = assets.get(name);
    if (!file) {
      file = readFileSync(path.join(packageDir(), name));
      assets.set(name, file);
    }
    return file;
  };

  app.get('/openapi.json', (c) => c.json(documents.combined));
  app.get('/openapi/:file', (c) => {
    const file = c.req.param('file');
    const dialect = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (!(DOC_DIALECTS as readonly string[]).includes(dialect)) {
      return reelayError(c, 404, 'route_not_found', `no OpenAPI document ${file}; there are: ${DOC_DIALECTS.map((d) => `${d}.json`).join(', ')}`);
    }
    return c.json(documents.dialects[dialect as DocDialect]);
  });
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/docs-init.js', (c) => c.body(INIT_SCRIPT, 200, { 'content-type': JS, 'cache-control': 'public, max-age=3600' }));
  app.get('/docs/assets/:name', (c) => {
    const name = c.req.param('name');
    const type = Object.hasOwn(PACKAGE_ASSETS, name) ? PACKAGE_ASSETS[name] : undefined;
    if (!type) return reelayError(c, 404, 'route_not_found', `no asset ${name}`);
    return c.body(new Uint8Array(asset(name)), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
