// Serves the built UI (ui/dist, `npm run build:ui`) on every path outside the API: files as
// they are, anything else the single page's index.html so the UI's own router takes over.
// The pages may reach their own origin only (CSP), and no other site may frame them.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

export const DEFAULT_UI_DIR = resolve(fileURLToPath(new URL('../../ui/dist', import.meta.url)));

/** The UI's policy: its own scripts, styles, images and API; message HTML only in a same-origin sandboxed frame. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Stele</title>
<p>The Stele UI is not built. Run <code>npm run build:ui</code> (done by <code>npm start</code>) and reload.</p>`;

export function uiHandler(dir: string = DEFAULT_UI_DIR): RequestHandler {
  const files = express.static(dir, { index: false, fallthrough: true, immutable: true, maxAge: '365d' });
  const index = join(dir, 'index.html');
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/') || req.path === '/metrics') return next();
    res.set({
      'Content-Security-Policy': UI_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    });
    files(req, res, () => {
      // Hashed assets are cached for a year; the page itself never, so a new build is seen at once.
      res.set('Cache-Control', 'no-store');
      if (!existsSync(index)) return void res.status(503).type('html').send(NOT_BUILT);
      res.sendFile(index);
    });
  };
}
