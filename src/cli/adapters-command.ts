// `lora-playground adapters list|delete|combine|import`: the adapter library in a folder.
import { combineAdapters } from '../adapters/combine.ts';
import { adapterFolderFiles, type ParsedAdapter } from '../io/peft.ts';
import { parseSetting, SETTINGS, SettingError } from '../settings/schema.ts';
import { checkAdapterName, DEFAULT_LIBRARY, deleteFromLibrary, listLibrary, readAdapterFolder, saveToLibrary, type LibraryEntry } from './adapter-library.ts';
import { rejectUnknownFlags, UsageError, type ParsedArgs } from './args.ts';
import { stringFlag } from './flags.ts';

const USAGE = 'adapters list | delete NAME | combine A B [...] --as NAME --how cat|linear [--weights 1,1] | import DIR --as NAME  [--library DIR]';

function describeTargets(a: ParsedAdapter): string {
  return typeof a.targetModules === 'string' ? a.targetModules : a.targetModules.join(',');
}

function table(entries: LibraryEntry[]): string {
  const rows = entries.map((e) => {
    const params = [...e.adapter.modules.values()].reduce((s, m) => s + m.rank * (m.inDim + m.outDim), 0);
    const t = e.training;
    const origin = t?.combined_from ? `${t.combination}(${t.combined_from.join(', ')})` : (t?.task ?? '');
    return [e.name, String(e.adapter.r), String(e.adapter.loraAlpha), describeTargets(e.adapter), String(e.adapter.modules.size), params.toLocaleString('en-US'),
      t?.steps !== undefined ? String(t.steps) : '', t?.final_loss !== undefined ? t.final_loss.toFixed(4) : '', origin];
  });
  const header = ['name', 'r', 'alpha', 'targets', 'modules', 'params', 'steps', 'final loss', 'from'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function adaptersCommand(args: ParsedArgs): string {
  const [action, ...names] = args.positional;
  const library = stringFlag(args, 'library') ?? DEFAULT_LIBRARY;
  switch (action) {
    case 'list': {
      rejectUnknownFlags(args, ['library', 'json']);
      const { entries, unreadable } = listLibrary(library);
      if (args.flags.has('json')) {
        return JSON.stringify({
          library,
          adapters: entries.map((e) => ({ name: e.name, r: e.adapter.r, lora_alpha: e.adapter.loraAlpha, target_modules: e.adapter.targetModules, modules: e.adapter.modules.size, training: e.training })),
          unreadable,
        });
      }
      const lines = entries.length ? [table(entries)] : [`no adapters in ${library}`];
      for (const u of unreadable) lines.push(`(${u.name}: unreadable, ${u.why})`);
      return lines.join('\n');
    }
    case 'delete': {
      rejectUnknownFlags(args, ['library']);
      if (names.length !== 1) throw new UsageError(`adapters delete takes one name; ${USAGE}`);
      return `deleted ${deleteFromLibrary(library, names[0])}`;
    }
    case 'import': {
      rejectUnknownFlags(args, ['library', 'as']);
      if (names.length !== 1) throw new UsageError(`adapters import takes one folder; ${USAGE}`);
      const adapter = readAdapterFolder(names[0]);
      const name = checkAdapterName(stringFlag(args, 'as'));
      return `imported ${names[0]} as ${saveToLibrary(library, name, adapterFolderFiles(adapter), { task: 'import', base: adapter.baseModelNameOrPath, created: new Date().toISOString() })}`;
    }
    case 'combine': {
      rejectUnknownFlags(args, ['library', 'as', 'how', 'weights']);
      if (names.length < 2) throw new UsageError(`adapters combine takes two or more names; ${USAGE}`);
      const how = stringFlag(args, 'how') ?? 'cat';
      if (how !== 'cat' && how !== 'linear') throw new SettingError(`--how must be cat or linear, got ${how}`);
      const weightsText = stringFlag(args, 'weights');
      const weights = weightsText ? weightsText.split(',').map((w) => parseSetting(SETTINGS.weights, w.trim())) : names.map(() => 1);
      const name = checkAdapterName(stringFlag(args, 'as'));
      const { entries } = listLibrary(library);
      const sources = names.map((n) => entries.find((e) => e.name === n) ?? (() => { throw new SettingError(`the library ${library} has no adapter named ${n}`); })());
      const combined = combineAdapters(sources.map((s) => s.adapter), weights, how);
      const dir = saveToLibrary(library, name, adapterFolderFiles(combined), {
        base: combined.baseModelNameOrPath, combined_from: names, combination: how, weights, created: new Date().toISOString(),
      });
      return `wrote ${dir}: r = ${combined.r}, ${combined.modules.size} modules`;
    }
    default:
      throw new UsageError(`usage: lora-playground ${USAGE}`);
  }
}
