/**
 * GET /openapi.json and GET /docs, without authentication. The docs page is self-contained (no CDN:
 * many deployments have no internet): static HTML, an inline stylesheet and the inline script of
 * docs-client.ts, each allowed by its hash in a strict Content-Security-Policy; the script fetches
 * /openapi.json and renders the reference from it.
 */
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { DOCS_SCRIPT } from './docs-client.js';
import { DOCS_STYLE } from './docs-style.js';
import { openApiJson } from './openapi.js';
import { CREATE_TRANSFER_EXAMPLE } from './openapi-paths.js';

const DEMO_KEY = 'demo-beijing-key-0123456789';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DOCS_SCRIPT)}`,
  `style-src ${sha256(DOCS_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(): string {
  const body = JSON.stringify(CREATE_TRANSFER_EXAMPLE, null, 2);
  const post = [
    `curl -i <span class="origin">http://127.0.0.1:3000</span>/v1/transfers \\`,
    `  -H 'Authorization: Bearer ${DEMO_KEY}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H "Idempotency-Key: $(uuidgen)" \\`,
    `  -d '${escapeHtml(body)}'`,
  ].join('\n');
  const get = [
    `curl <span class="origin">http://127.0.0.1:3000</span>/v1/transfers/trf_01J… \\`,
    `  -H 'Authorization: Bearer ${DEMO_KEY}'`,
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Transfer gateway · API reference</title>
<style>${DOCS_STYLE}</style>
</head>
<body>
<header class="top">
<h1>Transfer gateway <span class="muted">API reference</span></h1>
<span id="version" class="muted"></span>
<a class="raw" href="openapi.json">openapi.json</a>
</header>
<div class="layout">
<nav aria-label="Contents">
<ul id="nav-ops"><li><a class="nav-tag" href="#start">Getting started</a></li></ul>
</nav>
<main>
<section id="start" class="tag">
<h2>Getting started</h2>
<p>Every call but the operators' pages needs an API key as <code>Authorization: Bearer &lt;key&gt;</code>; each
operation below names the scope its key must hold. The demo (<code>npm run demo</code>) ships the key
<code>${DEMO_KEY}</code> (scopes <code>transfers:write</code> and <code>transfers:read</code>).</p>
<ol class="steps">
<li><p>Start a transfer. Send a fresh <code>Idempotency-Key</code>: sending the same request again with the
same key answers the same transfer, so a retry after a timeout never creates a second one.</p>
<pre><code>${post}</code></pre>
<p>The answer is <code>202 Accepted</code> with the transfer (state <code>accepted</code>) and its URL in
<code>Location</code>.</p></li>
<li><p>Follow it: read the transfer, with its timeline of events, from that URL.</p>
<pre><code>${get}</code></pre>
<p>The Beijing system also receives every state change as a signed notification (see <em>Notifications</em>).</p></li>
</ol>
<p>Errors are <code>application/problem+json</code> with a stable <code>code</code>; field problems are listed in
<code>errors</code>. Each response below lists the codes it can carry.</p>
</section>
<div id="reference"><p class="muted">Loading the reference…</p></div>
</main>
</div>
<script>${DOCS_SCRIPT}</script>
</body>
</html>
`;
}

export function docsRoutes(): Router {
  const router = Router();
  // Built now, so a schema the document cannot publish stops the start, not a later request.
  const json = openApiJson();
  const html = page();

  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json').send(json);
  });

  router.get('/docs', (_req, res) => {
    res
      .set({
        'Content-Security-Policy': DOCS_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      })
      .type('html')
      .send(html);
  });

  return router;
}
