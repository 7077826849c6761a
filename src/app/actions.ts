// What the page's buttons do. GPU objects (the session) live here, never in the store; every
// action reports progress in `busy` and failures as a message, and none of them can lose a
// saved adapter: the library is only written by save/import/combine and only shrunk by delete.
import { combineAdapters, type CombinationType } from '../adapters/combine.ts';
import { checkAdapterName } from '../adapters/names.ts';
import { checkTextSize, parseTextFile, tokenizeDocuments } from '../data/text-dataset.ts';
import { onDeviceRecovered, readyGpu } from '../engine.ts';
import { loadModelFolder, type ReadFile } from '../io/model-folder.ts';
import { adapterFolderFiles, parseAdapter, type ParsedAdapter } from '../io/peft.ts';
import { usePlayground, type LibraryItem } from '../store/playground-store.ts';
import { corpusText } from '../tasks/text-task.ts';
import { TINY_BASE_CONFIG } from '../tasks/tiny-base.ts';
import type { LlamaConfig } from '../model/config.ts';
import { downloadFiles, httpFolderReader, pickedFilesReader } from './files.ts';
import { deleteStoredAdapter, getStoredAdapter, listStoredAdapters, saveStoredAdapter, type StoredAdapter } from './library-db.ts';
import { PlaygroundSession, type TrainSettings } from './session.ts';

export const BUILTIN_MODEL = { name: 'byte-caps', url: '/models/byte-caps' };
export const BUILTIN_TEXT_NAME = 'built-in corpus B (one pair per line)';

let session: PlaygroundSession | null = null;
let tokens: Uint32Array | null = null;
let lastTraining: { steps: number; loss: number; valLoss?: number } | null = null;

const store = () => usePlayground.getState();

async function guarded<T>(busy: string, work: () => Promise<T>): Promise<T | undefined> {
  store().set({ busy, message: null });
  try {
    return await work();
  } catch (err) {
    store().set({ message: { kind: 'error', text: (err as Error).message } });
    return undefined;
  } finally {
    store().set({ busy: null });
  }
}

function summarize(a: StoredAdapter): LibraryItem {
  const parsed = JSON.parse(a.configJson) as { r: number; lora_alpha: number; target_modules: string[] | string };
  return {
    name: a.name, base: a.base, created: a.created, training: a.training, r: parsed.r, alpha: parsed.lora_alpha, modules: a.modules,
    targets: Array.isArray(parsed.target_modules) ? parsed.target_modules.join(',') : parsed.target_modules,
  };
}

export async function refreshLibrary(): Promise<void> {
  await guarded('reading the adapter library', async () => store().set({ library: (await listStoredAdapters()).map(summarize) }));
}

async function openModel(name: string, read: ReadFile): Promise<void> {
  const gpu = await readyGpu();
  if (!gpu) throw new Error('no GPU: the page could not get a WebGPU device (see the GPU panel)');
  const folder = await loadModelFolder(read, (m) => store().set({ busy: m }));
  if (!folder.tokenizer) throw new Error('the model folder has no tokenizer.json: pick it together with config.json and the weights');
  session?.dispose();
  session = new PlaygroundSession(gpu, { name, config: folder.config, weights: folder.weights, tokenizer: folder.tokenizer, tokenizerFiles: folder.tokenizerFiles });
  const c = folder.config;
  store().set({
    base: {
      name, layers: c.num_hidden_layers, hidden: c.hidden_size, vocab: c.vocab_size, context: c.max_position_embeddings,
      parameters: [...folder.weights.values()].reduce((s, w) => s + w.length, 0), dtypes: folder.dtypes,
    },
    active: null, training: null, evaluation: [],
  });
  lastTraining = null;
  useText(BUILTIN_TEXT_NAME, [corpusText('lines', 600, 1)]);
}

export const loadBuiltinModel = () => guarded('loading the bundled model', () => openModel(BUILTIN_MODEL.name, httpFolderReader(BUILTIN_MODEL.url)));

export const loadModelFiles = (files: File[]) =>
  guarded('reading your model files', async () => openModel(files.find((f) => f.name === 'config.json') ? 'your model' : files[0]?.name ?? 'your model', await pickedFilesReader(files)));

function useText(name: string, docs: string[]): void {
  if (!session) throw new Error('load a model first: the text is tokenized with its tokenizer');
  tokens = tokenizeDocuments(session.base.tokenizer, docs, session.base.config.vocab_size);
  store().set({ text: { name, tokens: tokens.length } });
}

export const loadTextFile = (file: File) =>
  guarded(`reading ${file.name}`, async () => {
    checkTextSize(file.name, file.size);
    useText(file.name, parseTextFile(file.name, await file.text()));
  });

export const trainAdapter = (settings: TrainSettings) =>
  guarded('training', async () => {
    if (!session || !tokens) throw new Error('load a model and a text first');
    const points: { step: number; loss: number; valLoss?: number }[] = [];
    store().set({ training: { running: true, steps: settings.steps, points }, active: null });
    try {
      const last = await session.train(settings, tokens, (m) => {
        points.push({ step: m.step, loss: m.loss, valLoss: m.valLoss });
        store().set({ busy: `training: step ${m.step} of ${settings.steps}, loss ${m.loss.toFixed(4)}`, training: { running: true, steps: settings.steps, points: [...points] } });
      });
      lastTraining = last ? { steps: last.step, loss: last.loss, valLoss: last.valLoss } : null;
      store().set({ active: 'unsaved' });
    } finally {
      store().set({ training: { running: false, steps: settings.steps, points: [...points] } });
    }
  });

export const stopTraining = () => session?.stop();

async function store_(name: string, configJson: string, safetensors: Uint8Array, training: StoredAdapter['training']): Promise<void> {
  checkAdapterName(name);
  const { modules } = parseAdapter(configJson, safetensors); // never store what could not be loaded back
  await saveStoredAdapter({ name, base: session?.base.name ?? '', created: new Date().toISOString(), configJson, safetensors, modules: modules.size, training });
  await refreshLibrary();
}

export const saveActiveAdapter = (name: string) =>
  guarded('saving the adapter', async () => {
    if (!session?.hasAdapter) throw new Error('there is no adapter to save: train one first');
    const files = await session.adapterFiles();
    await store_(name, files['adapter_config.json'] as string, files['adapter_model.safetensors'] as Uint8Array, {
      task: store().text?.name, steps: lastTraining?.steps, final_loss: lastTraining?.loss, val_loss: lastTraining?.valLoss
    });
    store().set({ active: name, message: { kind: 'info', text: `saved ${name} to the library` } });
  });

async function loadStored(name: string): Promise<ParsedAdapter> {
  const stored = await getStoredAdapter(name);
  if (!stored) throw new Error(`the library has no adapter named ${name}`);
  return parseAdapter(stored.configJson, stored.safetensors);
}

export const activateAdapter = (name: string | null) =>
  guarded(name ? `switching to ${name}` : 'switching to the base model', async () => {
    if (!session) throw new Error('load a model first');
    const { rebuilt } = await session.activate(name ? await loadStored(name) : null);
    store().set({ active: name, message: { kind: 'info', text: `${name ?? 'base model'} active (${rebuilt ? 'LoRA layers rebuilt for its layout' : 'written into the existing LoRA layers'}; the base weights were not reloaded)` } });
  });

export const evaluateActive = () =>
  guarded('evaluating', async () => {
    if (!session || !tokens) throw new Error('load a model and a text first');
    const loss = await session.evaluate(tokens);
    const entry = { adapter: store().active, loss, tokens: tokens.length };
    store().set({ evaluation: [...store().evaluation.filter((e) => e.adapter !== entry.adapter), entry] });
  });

export const deleteAdapter = (name: string) =>
  guarded(`deleting ${name}`, async () => {
    await deleteStoredAdapter(name);
    if (store().active === name) store().set({ active: 'unsaved' });
    await refreshLibrary();
  });

export const combineStored = (a: string, b: string, how: CombinationType, weights: [number, number], name: string) =>
  guarded('combining adapters', async () => {
    const combined = combineAdapters([await loadStored(a), await loadStored(b)], weights, how);
    const files = adapterFolderFiles(combined);
    await store_(name, files['adapter_config.json'] as string, files['adapter_model.safetensors'] as Uint8Array, { combined_from: [a, b], combination: how, weights });
  });

export const importAdapterFiles = (files: File[], name: string) =>
  guarded('importing the adapter', async () => {
    const read = await pickedFilesReader(files);
    const [config, tensors] = [await read('adapter_config.json'), await read('adapter_model.safetensors')];
    if (!config || !tensors) throw new Error('pick adapter_config.json and adapter_model.safetensors (or a .zip holding them)');
    const text = new TextDecoder().decode(config);
    await store_(name, text, tensors, { task: 'import' });
  });

export const exportStoredAdapter = (name: string) =>
  guarded(`exporting ${name}`, async () => {
    const stored = await getStoredAdapter(name);
    if (!stored) throw new Error(`the library has no adapter named ${name}`);
    downloadFiles(`${name}-adapter.zip`, { [`${name}/adapter_config.json`]: stored.configJson, [`${name}/adapter_model.safetensors`]: stored.safetensors });
  });

export const exportMerged = () =>
  guarded('merging on the GPU and exporting', async () => {
    if (!session) throw new Error('load a model first');
    const files = await session.mergedFiles();
    const folder = `${session.base.name}-${store().active ?? 'base'}-merged`;
    downloadFiles(`${folder}.zip`, Object.fromEntries(Object.entries(files).map(([n, c]) => [`${folder}/${n}`, c])));
  });

// After a lost device: the same base, in memory, on the new device; saved adapters are in IndexedDB.
onDeviceRecovered((gpu) => {
  if (!session) return;
  session = new PlaygroundSession(gpu, session.base);
  const hadAdapter = store().active !== null;
  store().set({ active: null, busy: null, ...(hadAdapter ? { message: { kind: 'info', text: 'The GPU device was replaced: the base model is back; activate a saved adapter again (an unsaved one was lost with the device).' } } : {}) });
});

/** The config the workbench's language-model task uses: the loaded model's, or the bundled one's. */
export function languageModelConfig(): LlamaConfig {
  return session?.base.config ?? TINY_BASE_CONFIG;
}

/** The loaded base model and text for the workbench, loading the bundled ones when none is. */
export async function baseAndText(): Promise<{ base: PlaygroundSession['base']; tokens: Uint32Array }> {
  if (!session || !tokens) {
    try {
      await openModel(BUILTIN_MODEL.name, httpFolderReader(BUILTIN_MODEL.url));
    } finally {
      store().set({ busy: null }); // openModel reports its progress in `busy`
    }
  }
  return { base: session!.base, tokens: tokens! };
}
