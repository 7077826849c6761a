#!/usr/bin/env node
// The JavaScript a visitor's browser fetches before the playground's first screen shows, from a
// `vite build` output folder: the scripts and module preloads index.html names, every chunk they
// import statically (followed through the chunks), and the engine worker the page starts at once
// with everything it imports statically. Chunks reached only through import() are listed apart:
// they load when their panel or feature is needed. Sizes are raw and gzip (zlib level 9, what a
// static host's precompression typically uses).
//
//   node scripts/first-load-bytes.mjs [DIST] [--json]     (DIST defaults to dist/)
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const dist = resolve(args.find((a) => !a.startsWith('--')) ?? 'dist');

/** A reference in a built file, resolved against the file that makes it ('/x' from the root). */
function resolveRef(fromFile, ref) {
  return ref.startsWith('/') ? join(dist, ref) : resolve(dirname(fromFile), ref);
}

/** `from"./x.js"` and `import"./x.js"` (static); `import("./x.js")` (dynamic); `new Worker(new URL("./x.js"` (a worker). */
function references(file) {
  const code = readFileSync(file, 'utf8');
  const grab = (re) => [...code.matchAll(re)].map((m) => resolveRef(file, m[1]));
  const q = '["\'`]';
  return {
    statics: [...grab(new RegExp(`\\bfrom\\s*${q}([^"'\`]+\\.js)${q}`, 'g')), ...grab(new RegExp(`\\bimport\\s*${q}([^"'\`]+\\.js)${q}`, 'g'))],
    dynamics: grab(new RegExp(`\\bimport\\(\\s*${q}([^"'\`]+\\.js)${q}`, 'g')),
    // Vite's preload helper lists a dynamic import's dependencies as plain strings: "./x.js" next to
    // the chunk with a relative base, "/assets/x.js" with an absolute one.
    preloadDeps: [...code.matchAll(/__vite__mapDeps[^\n]*?\[((?:["'`][^"'`]+\.js["'`],?)+)\]/g)].flatMap((m) => [...m[1].matchAll(/["'`]([^"'`]+\.js)["'`]/g)].map((d) => resolveRef(file, d[1]))),
    // With a relative base Vite nests the URL: new Worker(new URL(new URL("x.js", import.meta.url).href, …)).
    workers: grab(new RegExp(`new Worker\\(\\s*new URL\\(\\s*(?:new URL\\(\\s*)?${q}([^"'\`]+\\.js)${q}`, 'g')),
  };
}

/** Every file reachable from `roots` through static imports. */
function staticClosure(roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const f = stack.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...references(f).statics);
  }
  return seen;
}

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const attr = (re) => [...html.matchAll(re)].map((m) => resolveRef(join(dist, 'index.html'), m[1]));
const pageRoots = [...attr(/<script[^>]*\bsrc="([^"]+\.js)"/g), ...attr(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)];
const css = attr(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g);

const page = staticClosure(pageRoots);
const workerRoots = [...page].flatMap((f) => references(f).workers);
const worker = staticClosure(workerRoots);
const eager = new Set([...page, ...worker]);
const assets = join(dist, 'assets');
const lazy = readdirSync(assets).filter((n) => n.endsWith('.js')).map((n) => join(assets, n))
  .filter((f) => !eager.has(f) && [...eager].some((e) => { const r = references(e); return r.dynamics.includes(f) || r.preloadDeps.includes(f); }));

function sizes(files) {
  const rows = [...files].sort().map((f) => {
    const bytes = readFileSync(f);
    return { file: relative(dist, f), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { rows, raw: rows.reduce((s, r) => s + r.raw, 0), gzip: rows.reduce((s, r) => s + r.gzip, 0) };
}

const report = { dist, page: sizes(page), worker: sizes(worker), css: sizes(css), lazyFromFirstLoad: sizes(lazy) };
report.firstLoadJs = { raw: report.page.raw + report.worker.raw, gzip: report.page.gzip + report.worker.gzip };

if (asJson) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  const table = (title, s) => {
    console.log(`${title}: ${kb(s.raw)} raw, ${kb(s.gzip)} gzip`);
    for (const r of s.rows) console.log(`  ${r.file.padEnd(44)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)} gzip`);
  };
  table("page's thread, loaded before the first screen", report.page);
  table('engine worker, started at load', report.worker);
  table('CSS', report.css);
  table('loaded later, on demand (import())', report.lazyFromFirstLoad);
  console.log(`first load JS: ${kb(report.firstLoadJs.raw)} raw, ${kb(report.firstLoadJs.gzip)} gzip (page ${kb(report.page.gzip)} + worker ${kb(report.worker.gzip)})`);
}
