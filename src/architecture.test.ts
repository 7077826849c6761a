// The layering of src/, checked on every import: static imports, `export … from`, dynamic
// import('…') and worker references new URL('…', import.meta.url). Each top-level entry of src/
// is one folder (a file directly in src/ counts by its name: src/main.tsx is `main`). Also: the
// page's thread, followed import by import from src/main.tsx, loads no GPU or engine code.
// Run: npx vitest run src/architecture.test.ts
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The engine: everything that trains without a page, a store or a command line. */
export const ENGINE_FOLDERS = ['gpu', 'reference', 'lora', 'model', 'train', 'io', 'data', 'adapters', 'tasks', 'settings', 'util', 'engine'] as const;

export interface LayerRule {
  name: string;
  /** Folders whose files the rule constrains. */
  from: readonly string[];
  /** Folders those files may not import. */
  mayNotImport: readonly string[];
  /** Type-only imports (`import type`, `import('…').T`) are erased at build time: allowed if set. */
  typeOnlyAllowed?: boolean;
  /** Tests (`*.test.ts`) are not part of the layer at run time (a test may drive the page's controller against a real engine). */
  exceptTests?: boolean;
}

export const RULES: readonly LayerRule[] = [
  { name: 'the engine imports no store, ui, app, cli or worker', from: ENGINE_FOLDERS, mayNotImport: ['store', 'ui', 'app', 'cli', 'worker'] },
  // The float64 specification stays independent of what it specifies. (src/reference/llama.ts
  // reads the config helpers of src/model/config.ts, so `model` is not listed yet.)
  { name: 'reference imports no gpu, lora or train', from: ['reference'], mayNotImport: ['gpu', 'lora', 'train'] },
  { name: 'gpu imports nothing above it', from: ['gpu'], mayNotImport: ['reference', 'lora', 'model', 'train', 'tasks', 'engine', 'app', 'ui', 'store', 'cli'] },
  { name: 'store and ui import no gpu runtime code', from: ['store', 'ui'], mayNotImport: ['gpu'], typeOnlyAllowed: true },
  // The page's thread keeps React, the stores and the controller; the engine runs in the worker.
  { name: "the page's thread (app, ui, store) runs no engine or gpu code", from: ['app', 'ui', 'store'], mayNotImport: ['gpu', 'engine'], typeOnlyAllowed: true, exceptTests: true },
  { name: 'the worker imports no page code (ui, store, app) and no cli', from: ['worker'], mayNotImport: ['ui', 'store', 'app', 'cli'] },
];

export interface ImportEdge {
  /** The importing file, relative to the repository root (forward slashes). */
  file: string;
  specifier: string;
  /** Top-level folder of src/ holding the importer. */
  from: string;
  /** Top-level folder of src/ the specifier resolves to; null for packages and files outside src/. */
  to: string | null;
  typeOnly: boolean;
}

const SRC = resolve(dirname(fileURLToPath(import.meta.url)));
const ROOT = dirname(SRC);

/** The top-level folder of src/ holding `absolute`, or null outside src/. */
export function layerOf(absolute: string): string | null {
  const rel = relative(SRC, absolute);
  if (rel === '' || rel.startsWith('..') || resolve(SRC, rel) !== absolute) return null;
  const [first, ...rest] = rel.split(sep);
  return rest.length === 0 ? first.replace(/\.(d\.)?[cm]?[jt]sx?$/, '') : first;
}

/** Every module specifier in one source text, with whether it is erased as type-only. */
export function extractSpecifiers(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const allTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) => elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && allTypes(clause.namedBindings.elements)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (!!node.exportClause && ts.isNamedExports(node.exportClause) && allTypes(node.exportClause.elements));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true }); // import('…').T in a type
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (
      ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' &&
      node.arguments?.length === 2 && ts.isStringLiteralLike(node.arguments[0]) && node.arguments[1].getText(source) === 'import.meta.url'
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false }); // new Worker(new URL('./x.ts', import.meta.url))
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Resolves a specifier written in `absoluteFile` to a folder of src/ (null: a package or outside src/). */
export function resolveLayer(absoluteFile: string, specifier: string): string | null {
  const path = specifier.replace(/[?#].*$/, ''); // ?raw, ?worker, ?url
  if (path.startsWith('.')) return layerOf(resolve(dirname(absoluteFile), path));
  if (path.startsWith('/')) return layerOf(join(ROOT, path));
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

export function scanSrc(): { files: string[]; edges: ImportEdge[] } {
  const files = sourceFiles(SRC);
  const edges = files.flatMap((absolute) =>
    extractSpecifiers(absolute, readFileSync(absolute, 'utf8')).map(({ specifier, typeOnly }) => ({
      file: relative(ROOT, absolute).split(sep).join('/'),
      specifier,
      from: layerOf(absolute)!,
      to: resolveLayer(absolute, specifier),
      typeOnly,
    })),
  );
  return { files, edges };
}

/** The edges breaking `rule`, as `file → specifier` lines. */
export function violations(rule: LayerRule, edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((e) => e.to !== null && rule.from.includes(e.from) && rule.mayNotImport.includes(e.to) && !(rule.typeOnlyAllowed && e.typeOnly) && !(rule.exceptTests && /\.test\.tsx?$/.test(e.file)))
    .map((e) => `${e.file} → ${e.specifier}${e.typeOnly ? ' (type only)' : ''}`);
}

describe('layering of src/', () => {
  const { files, edges } = scanSrc();
  const internal = edges.filter((e) => e.to !== null);

  it('the scanner sees the whole tree (> 100 files, > 300 imports between folders or files of src/)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(internal.length).toBeGreaterThan(300);
  });

  it('the scanner reads every kind of import, and tells type-only ones apart', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../gpu/b.ts';",
      "import { type C, type D } from '../gpu/c.ts';",
      "import { type E, f } from '../gpu/e.ts';",
      "import '../ui/side-effect.ts';",
      "export { g } from '../store/g.ts';",
      "export type { H } from '../store/h.ts';",
      "let i: import('../gpu/i.ts').I;",
      "const j = await import('../cli/j.ts');",
      "const k = new Worker(new URL('../worker/k.ts', import.meta.url), { type: 'module' });",
      "import shader from '../../shaders/l.wgsl?raw';",
      "// import { m } from '../app/m.ts';",
    ].join('\n');
    const file = join(SRC, 'ui', 'x.tsx');
    const got = extractSpecifiers(file, text).map((s) => `${resolveLayer(file, s.specifier)}${s.typeOnly ? ' type' : ''}`);
    expect(got).toEqual(['ui', 'gpu type', 'gpu type', 'gpu', 'ui', 'store', 'store type', 'gpu type', 'cli', 'worker', 'null']);
    expect(resolveLayer(join(SRC, 'app', 'x.ts'), '../engine.ts')).toBe('engine');
    expect(resolveLayer(join(SRC, 'app', 'x.ts'), '../engine/y.ts')).toBe('engine');
  });

  it('the rule checker reports a violation in a synthetic example', () => {
    const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ file: `src/${from}/x.ts`, specifier: `../${to}/y.ts`, from, to, typeOnly });
    const synthetic = [edge('gpu', 'util'), edge('gpu', 'reference'), edge('ui', 'gpu', true), edge('store', 'gpu'), edge('engine', 'store')];
    const byName = (name: string) => RULES.find((r) => r.name.startsWith(name))!;
    expect(violations(byName('gpu imports'), synthetic)).toEqual(['src/gpu/x.ts → ../reference/y.ts']);
    expect(violations(byName('store and ui'), synthetic)).toEqual(['src/store/x.ts → ../gpu/y.ts']);
    expect(violations(byName('the engine'), synthetic)).toEqual(['src/engine/x.ts → ../store/y.ts']);
  });

  for (const rule of RULES) {
    it(rule.name, () => {
      const found = violations(rule, edges);
      expect(found, `${rule.name}:\n  ${found.join('\n  ')}`).toEqual([]);
    });
  }

  it("the page's thread, followed transitively from src/main.tsx, loads no gpu, engine or worker module (the worker is its own bundle)", () => {
    const reached = mainThreadModules();
    expect(reached.length).toBeGreaterThan(30); // the scan follows the page's imports
    expect(reached.some((f) => f.startsWith('src/ui/'))).toBe(true);
    const forbidden = reached.filter((f) => /^src\/(gpu|engine|worker)\//.test(f));
    expect(forbidden, `reached from src/main.tsx at run time:\n  ${forbidden.join('\n  ')}`).toEqual([]);
  });
});

/**
 * Every src/ module the page's thread loads: runtime imports (static and dynamic) followed from
 * src/main.tsx. Type-only imports are erased; `new URL(…, import.meta.url)` starts another bundle
 * (the engine worker), so it is not followed.
 */
function mainThreadModules(): string[] {
  const seen = new Set<string>();
  const queue = [join(SRC, 'main.tsx')];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const { specifier, typeOnly } of extractSpecifiers(file, text)) {
      const path = specifier.replace(/[?#].*$/, '');
      if (typeOnly || !path.startsWith('.') || !/\.(ts|tsx)$/.test(path)) continue;
      if (text.includes(`new URL('${specifier}'`)) continue;
      queue.push(resolve(dirname(file), path));
    }
  }
  return [...seen].map((f) => relative(ROOT, f).split(sep).join('/'));
}
