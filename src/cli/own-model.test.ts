// Bring your own model and text, through the real bin: a tiny HF folder (BF16 shards + index +
// tokenizer.json, written by project code) and a .jsonl file; train → library → eval with and
// without the adapter → the merged export evaluates the same → combine, delete; bad input → one line.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson } from '../data/tokenizer.ts';
import { llamaShardedCheckpointFiles } from '../io/hf-checkpoint.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { initLlamaWeights, validateLlamaConfig } from '../model/config.ts';
import { seededRandom } from '../util/random.ts';

const BIN = fileURLToPath(new URL('../../bin/lora-playground.mjs', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
const json = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('own model and text from the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'lora-own-'));
  const [model, text, library] = [join(root, 'model'), join(root, 'text.jsonl'), join(root, 'lib')];
  const common = ['--model', model, '--text', text, '--library', library, '--batch', '4', '--seq-len', '12', '--quiet'];

  beforeAll(() => {
    const config = validateLlamaConfig({
      model_type: 'llama', vocab_size: 256, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
      num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 16, tie_word_embeddings: true,
    });
    mkdirSync(model);
    for (const [name, content] of Object.entries({ ...llamaShardedCheckpointFiles(config, initLlamaWeights(config, seededRandom(3)), 12_000, 'BF16'), 'tokenizer.json': byteLevelTokenizerJson() })) {
      writeFileSync(join(model, name), content);
    }
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `${'abc'[i % 3]}${'ABC'[i % 3]} line ${i % 5}` }));
    writeFileSync(text, `${lines.join('\n')}\n`);
  });

  it('trains on the text, saves to the library, and lists it with steps and final loss', () => {
    const a = run(['train', '--task', 'text', ...common, '--steps', '4', '--rank', '2', '--lr', '0.05', '--save', 'first', '--out', join(root, 'out')]);
    expect(a.status, a.stderr).toBe(0);
    const lines = json(a.stdout);
    expect(lines.find((l) => l.task === 'text')).toMatchObject({ task: 'text', tokens: expect.any(Number) });
    expect(lines.at(-1)).toEqual({ saved: join(library, 'first') });
    const b = run(['train', '--task', 'text', ...common, '--steps', '2', '--rank', '2', '--targets', 'q_proj,v_proj', '--seed', '1', '--save', 'second']);
    expect(b.status, b.stderr).toBe(0);
    const list = JSON.parse(run(['adapters', 'list', '--library', library, '--json']).stdout);
    expect(list.adapters.map((x: { name: string }) => x.name)).toEqual(['first', 'second']);
    expect(list.adapters[0]).toMatchObject({ r: 2, lora_alpha: 4, modules: 14, training: { task: 'text', steps: 4, final_loss: expect.any(Number) } });
    expect(list.adapters[1]).toMatchObject({ modules: 4, target_modules: ['q_proj', 'v_proj'], training: { steps: 2 } });
  });

  it('eval: base, with the adapter, and the merged export agree with the adapter', () => {
    const base = run(['eval', '--model', model, '--text', text, '--logits', join(root, 'logits.safetensors')]);
    expect(base.status, base.stderr).toBe(0);
    const withAdapter = run(['eval', '--model', model, '--adapter', join(library, 'first'), '--text', text]);
    expect(withAdapter.status, withAdapter.stderr).toBe(0);
    const merged = run(['eval', '--model', join(root, 'out/merged'), '--text', text]);
    expect(merged.status, merged.stderr).toBe(0);
    const [b, w, m] = [json(base.stdout)[0], json(withAdapter.stdout)[0], json(merged.stdout)[0]];
    expect(b.seq_len).toBe(16); // the model's context length
    expect(b.predicted_tokens).toBe(b.tokens - 1);
    expect(w.loss).toBeLessThan(b.loss); // trained on this text
    expect(Math.abs(m.loss - w.loss)).toBeLessThan(1e-4); // merge_and_unload computes the same model
    const logits = parseSafetensors(readFileSync(join(root, 'logits.safetensors')));
    expect(logits.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['logits', 'F32', [16, 256]]]);
  });

  it('combines two adapters (cat) and deletes one', () => {
    const c = run(['adapters', 'combine', 'first', 'second', '--as', 'both', '--how', 'cat', '--weights', '1,0.5', '--library', library]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/r = 4, 14 modules/);
    const e = run(['eval', '--model', model, '--adapter', join(library, 'both'), '--text', text]);
    expect(e.status, e.stderr).toBe(0);
    expect(run(['adapters', 'delete', 'second', '--library', library]).status).toBe(0);
    expect(existsSync(join(library, 'second'))).toBe(false);
    expect(JSON.parse(run(['adapters', 'list', '--library', library, '--json']).stdout).adapters.map((x: { name: string }) => x.name)).toEqual(['both', 'first']);
  });

  it('bad input: one line naming the problem, exit 2, nothing in the library lost', () => {
    const other = join(root, 'other.txt');
    writeFileSync(other, 'x');
    const noTokenizer = join(root, 'no-tokenizer');
    cpSync(model, noTokenizer, { recursive: true });
    writeFileSync(join(noTokenizer, 'tokenizer.json'), '');
    const cases: [string[], RegExp][] = [
      [['train', '--task', 'text', ...common, '--save', 'first'], /already has an adapter named first/],
      [['train', '--task', 'text', '--model', model, '--text', join(root, 'text.csv'), '--seq-len', '12'], /cannot read the text file/],
      [['train', '--task', 'text', '--model', model, '--text', other, '--seq-len', '12'], /has 1 tokens; training with sequences of 12 needs at least/],
      [['train', '--task', 'text', '--model', model, '--text', text, '--seq-len', '12', '--gpu-memory', '0.00001'], /over the budget of .*try shorter sequences/],
      [['eval', '--model', 'public/models/byte-caps', '--adapter', join(library, 'first'), '--text', text], /does not fit the model|model\.layers/],
      [['eval', '--model', model, '--text', text, '--seq-len', '64'], /over the model's max_position_embeddings \(16\)/],
      [['eval', '--model', noTokenizer, '--text', text], /tokenizer\.json/],
      [['adapters', 'combine', 'first', 'nope', '--as', 'x', '--library', library], /no adapter named nope/],
      [['adapters', 'delete', '../etc', '--library', library], /adapter names are/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(JSON.parse(run(['adapters', 'list', '--library', library, '--json']).stdout).adapters).toHaveLength(2);
  });
});
