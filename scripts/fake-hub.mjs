#!/usr/bin/env node
// A local stand-in for the Hugging Face Hub, for tests: serves model folders under the Hub's URL
// layout, /{org}/{name}/resolve/{revision}/{file}, on localhost only, with the Hub's habits (a
// 302 to a CDN path for LFS files — *.safetensors —, Range requests answered with 206 and
// Content-Range, CORS headers, 401 for an unknown repo, 404 for an unknown file or revision) and
// faults to order, per repo:
//
//   missing: [file]            404, as for a file the repo does not have
//   html: [file]               200 with an HTML error page (text/html)
//   htmlBody: [file]           200 with an HTML page labelled application/octet-stream
//   truncate: {file: bytes}    the first `bytes` bytes only, with a matching Content-Length
//   dropOnce: {file: fraction} the first request announces the whole file, sends `fraction` of it
//                              and drops the connection; later requests are served (and honour Range)
//   ignoreRange: true          answers every request with 200 and the whole file
//   rate: bytes per second     throttles the bodies (for progress and cancel)
//   redirect: false            serves LFS files directly instead of redirecting
//
//   node scripts/fake-hub.mjs --port 5198 --repo test-org/tiny=DIR [--repo ORG/NAME=DIR ...]
//
// `startFakeHub({ port, repos: { 'org/name': { dir, ...faults } } })` → { url, requests, close() };
// `requests` lists every request (method, path, range, status) for the tests' assertions.
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const HTML_PAGE = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Something went wrong</h1><p>An error page from a proxy, not the file.</p></body></html>\n';
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'range, content-type, authorization',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, etag, x-linked-size, x-linked-etag, x-repo-commit, x-error-code, x-error-message',
};

export async function startFakeHub({ port = 0, host, repos }) {
  const requests = [];
  const dropped = new Set();

  function send(res, status, headers, body, log) {
    log.status = status;
    res.writeHead(status, { ...CORS, ...headers });
    res.end(body);
  }

  async function stream(req, res, bytes, repo, file, log) {
    const cfg = repos[repo];
    let status = 200;
    let start = 0;
    const headers = { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream', 'accept-ranges': 'bytes', etag: `"${bytes.length}-${file}"` };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && !cfg.ignoreRange) {
      start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      if (start >= bytes.length) return send(res, 416, { 'content-range': `bytes */${bytes.length}` }, '', log);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
      bytes = bytes.subarray(0, end + 1);
    }
    const body = bytes.subarray(start);
    headers['content-length'] = String(body.length);
    log.status = status;
    res.writeHead(status, { ...CORS, ...headers });
    if (req.method === 'HEAD') return res.end();
    const dropAt = cfg.dropOnce?.[file] !== undefined && !dropped.has(`${repo}/${file}`) ? Math.floor(body.length * cfg.dropOnce[file]) : null;
    if (dropAt !== null) dropped.add(`${repo}/${file}`);
    const limit = dropAt ?? body.length;
    const rate = cfg.rate ?? null;
    const chunk = rate ? Math.max(1024, Math.floor(rate / 20)) : 64 * 1024;
    let sent = 0;
    while (sent < limit) {
      if (res.destroyed) return;
      const n = Math.min(chunk, limit - sent);
      const ok = res.write(body.subarray(sent, sent + n));
      sent += n;
      if (!ok) await new Promise((r) => res.once('drain', r));
      if (rate) await new Promise((r) => setTimeout(r, (n / rate) * 1000));
    }
    if (dropAt !== null) {
      log.dropped = sent;
      // Let the bytes leave, then cut the connection mid-body.
      await new Promise((r) => setTimeout(r, 50));
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const log = { method: req.method, path: decodeURIComponent(url.pathname), range: req.headers.range ?? null, status: 0 };
    requests.push(log);
    if (req.method === 'OPTIONS') return send(res, 204, { 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-max-age': '600' }, '', log);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, {}, '', log);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    // The CDN: /cdn-lfs/{org}/{name}/{revision}/{file}, where the resolve URL of an LFS file redirects.
    const cdn = parts[0] === 'cdn-lfs';
    const p = cdn ? parts.slice(1) : parts;
    const at = cdn ? 2 : p.indexOf('resolve');
    if (at < 1 || (!cdn && p.length !== at + 3) || (cdn && p.length !== 4)) {
      return send(res, 404, { 'content-type': 'text/plain' }, 'Not Found', log);
    }
    const repo = p.slice(0, at).join('/');
    const [revision, file] = cdn ? [p[2], p[3]] : [p[at + 1], p[at + 2]];
    const cfg = repos[repo];
    if (!cfg) {
      return send(res, 401, { 'content-type': 'application/json', 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' }, JSON.stringify({ error: 'Repository Not Found' }), log);
    }
    if (!(cfg.revisions ?? ['main']).includes(revision)) {
      return send(res, 404, { 'content-type': 'application/json', 'x-error-code': 'RevisionNotFound' }, JSON.stringify({ error: `Invalid rev id: ${revision}` }), log);
    }
    const notThere = () => send(res, 404, { 'content-type': 'application/json', 'x-error-code': 'EntryNotFound', 'x-error-message': 'Entry not found' }, JSON.stringify({ error: 'Entry not found' }), log);
    if (!/^[\w.-]+$/.test(file) || file.includes('..') || cfg.missing?.includes(file)) return notThere();
    let bytes;
    try {
      if (!statSync(join(cfg.dir, file)).isFile()) return notThere();
      bytes = readFileSync(join(cfg.dir, file));
    } catch {
      return notThere();
    }
    if (cfg.html?.includes(file)) return send(res, 200, { 'content-type': 'text/html; charset=utf-8' }, HTML_PAGE, log);
    if (cfg.htmlBody?.includes(file)) return send(res, 200, { 'content-type': 'application/octet-stream' }, HTML_PAGE, log);
    if (cfg.truncate?.[file] !== undefined) bytes = bytes.subarray(0, cfg.truncate[file]);
    if (!cdn && file.endsWith('.safetensors') && cfg.redirect !== false) {
      const location = `/cdn-lfs/${repo}/${encodeURIComponent(revision)}/${file}`;
      return send(res, 302, { location, 'x-linked-size': String(bytes.length), 'x-linked-etag': `"${bytes.length}-${file}"`, 'x-repo-commit': '0'.repeat(40) }, '', log);
    }
    stream(req, res, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), repo, file, log).catch(() => res.destroy());
  });
  // localhost on both IPv4 and IPv6 (a browser may try ::1 first), where the machine has IPv6.
  const listen = (h) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: h, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (host) await listen(host);
  else await listen('::').catch(() => listen('127.0.0.1'));
  const address = server.address();
  return {
    url: `http://localhost:${address.port}`,
    port: address.port,
    requests,
    repos,
    /** Forgets which drops happened (the next request of a dropOnce file drops again). */
    reset() {
      requests.length = 0;
      dropped.clear();
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '5198' }, repo: { type: 'string', multiple: true, default: [] } } });
  const repos = {};
  for (const spec of values.repo) {
    const [name, dir] = spec.split('=');
    repos[name] = { dir };
  }
  const hub = await startFakeHub({ port: Number(values.port), repos });
  console.log(`fake hub on ${hub.url}: ${Object.keys(repos).join(', ') || 'no repos'}`);
}
