#!/usr/bin/env node
// Writes a Hugging Face Llama model folder with seeded random weights, for testing how the page
// and the CLI cope with a model of a given size: config.json, model.safetensors (streamed to disk
// in chunks, so memory stays small whatever the size), and the byte-level tokenizer of the bundled
// model (public/models/byte-caps: vocab 256, so the generated model keeps vocab_size 256).
//
//   node scripts/make-model.mjs --out DIR [--preset big-test] [--hidden N] [--intermediate N]
//        [--layers N] [--heads N] [--kv-heads N] [--max-position N] [--untied]
//        [--dtype F32|BF16] [--seed N]
//
// Tensor names and shapes are those of src/model/config.ts (llamaParameterShapes): LlamaForCausalLM's.
// The safetensors header lists the tensors sorted by name, __metadata__ {format: "pt"} first, and
// the data follows in the same order, contiguous; the header is padded with spaces to a multiple of 8.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOKENIZER_DIR = join(ROOT, 'public/models/byte-caps');
const VOCAB = 256; // the byte-level tokenizer's

// hidden 1024 / intermediate 2816 / 2 layers / 16 heads / 4 KV heads gives 91.2 MB of F32, under
// the 100 MB this preset is for; intermediate 3328 (13·256) brings it to 103.8 MB.
const PRESETS = {
  'big-test': { hidden: 1024, intermediate: 3328, layers: 2, heads: 16, kvHeads: 4, maxPosition: 256, tied: true, dtype: 'F32' },
};
const DEFAULTS = { hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, maxPosition: 256, tied: true, dtype: 'F32' };

const USAGE = `usage: node scripts/make-model.mjs --out DIR [--preset big-test] [--hidden N] [--intermediate N] [--layers N]
       [--heads N] [--kv-heads N] [--max-position N] [--untied] [--dtype F32|BF16] [--seed N]`;

function fail(message) {
  console.error(`make-model: ${message}\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(name, text, min = 1) {
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) fail(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

function settingsFrom(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        preset: { type: 'string' },
        hidden: { type: 'string' },
        intermediate: { type: 'string' },
        layers: { type: 'string' },
        heads: { type: 'string' },
        'kv-heads': { type: 'string' },
        'max-position': { type: 'string' },
        untied: { type: 'boolean' },
        dtype: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail(err.message);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!parsed.out) fail('--out DIR is required');
  let base = DEFAULTS;
  if (parsed.preset !== undefined) {
    base = PRESETS[parsed.preset];
    if (!base) fail(`unknown preset ${JSON.stringify(parsed.preset)} (known: ${Object.keys(PRESETS).join(', ')})`);
  }
  const s = { ...base, out: resolve(parsed.out), seed: 0 };
  if (parsed.hidden !== undefined) s.hidden = wholeNumber('hidden', parsed.hidden);
  if (parsed.intermediate !== undefined) s.intermediate = wholeNumber('intermediate', parsed.intermediate);
  if (parsed.layers !== undefined) s.layers = wholeNumber('layers', parsed.layers);
  if (parsed.heads !== undefined) s.heads = wholeNumber('heads', parsed.heads);
  if (parsed['kv-heads'] !== undefined) s.kvHeads = wholeNumber('kv-heads', parsed['kv-heads']);
  if (parsed['max-position'] !== undefined) s.maxPosition = wholeNumber('max-position', parsed['max-position']);
  if (parsed.untied) s.tied = false;
  if (parsed.seed !== undefined) s.seed = wholeNumber('seed', parsed.seed, 0) >>> 0;
  if (parsed.dtype !== undefined) {
    const d = parsed.dtype.toUpperCase();
    if (d !== 'F32' && d !== 'BF16') fail(`--dtype must be F32 or BF16, got ${JSON.stringify(parsed.dtype)}`);
    s.dtype = d;
  }
  // The checks of validateLlamaConfig (src/model/config.ts), so a bad size fails here, not in the loader.
  if (s.hidden % s.heads !== 0) fail(`--heads (${s.heads}) must divide --hidden (${s.hidden})`);
  if (s.heads % s.kvHeads !== 0) fail(`--kv-heads (${s.kvHeads}) must divide --heads (${s.heads})`);
  if ((s.hidden / s.heads) % 2 !== 0) fail(`the head dimension hidden/heads must be even, got ${s.hidden / s.heads}`);
  return s;
}

function configJson(s) {
  const json = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: VOCAB,
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.hidden / s.heads,
    hidden_act: 'silu',
    rms_norm_eps: 0.00001,
    rope_theta: 10000,
    max_position_embeddings: s.maxPosition,
    tie_word_embeddings: s.tied,
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: s.dtype === 'F32' ? 'float32' : 'bfloat16',
    bos_token_id: null,
    eos_token_id: null,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** [name, shape] of every parameter, as llamaParameterShapes in src/model/config.ts names them. */
function parameterShapes(s) {
  const d = s.hidden;
  const hd = s.hidden / s.heads;
  const shapes = [['model.embed_tokens.weight', [VOCAB, d]]];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.push(
      [`${p}.input_layernorm.weight`, [d]],
      [`${p}.self_attn.q_proj.weight`, [s.heads * hd, d]],
      [`${p}.self_attn.k_proj.weight`, [s.kvHeads * hd, d]],
      [`${p}.self_attn.v_proj.weight`, [s.kvHeads * hd, d]],
      [`${p}.self_attn.o_proj.weight`, [d, s.heads * hd]],
      [`${p}.post_attention_layernorm.weight`, [d]],
      [`${p}.mlp.gate_proj.weight`, [s.intermediate, d]],
      [`${p}.mlp.up_proj.weight`, [s.intermediate, d]],
      [`${p}.mlp.down_proj.weight`, [d, s.intermediate]],
    );
  }
  shapes.push(['model.norm.weight', [d]]);
  if (!s.tied) shapes.push(['lm_head.weight', [VOCAB, d]]);
  // Sorted by name (byte order), as the reference serializer lays out tensors of one dtype.
  return shapes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** mulberry32: a small, fast, seeded 32-bit PRNG; returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the tensor name, mixed with the seed: each tensor gets its own stream, so one tensor's
 *  values do not depend on which tensors come before it (or how many layers there are). */
function tensorSeed(seed, name) {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const CHUNK = 1 << 20; // values per write: 4 MiB of F32

function writeTensor(fd, s, name, numel, scratch) {
  const { f32, u32, u16 } = scratch;
  const isNorm = name.endsWith('norm.weight');
  const random = mulberry32(tensorSeed(s.seed, name));
  let spare = null; // Box–Muller gives two normals per pair of uniforms
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  for (let done = 0; done < numel; ) {
    const n = Math.min(CHUNK, numel - done);
    if (isNorm) f32.fill(1, 0, n);
    else for (let i = 0; i < n; i++) f32[i] = 0.02 * normal();
    if (s.dtype === 'F32') {
      writeAll(fd, new Uint8Array(f32.buffer, 0, n * 4));
    } else {
      for (let i = 0; i < n; i++) {
        const x = u32[i]; // round to nearest even; the values here are finite
        u16[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
      }
      writeAll(fd, new Uint8Array(u16.buffer, 0, n * 2));
    }
    done += n;
  }
}

function writeAll(fd, bytes) {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

function writeSafetensors(path, s) {
  const bytesPer = s.dtype === 'F32' ? 4 : 2;
  const tensors = parameterShapes(s).map(([name, shape]) => ({ name, shape, numel: shape.reduce((a, b) => a * b, 1) }));
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: s.dtype, shape: t.shape, data_offsets: [offset, offset + t.numel * bytesPer] };
    offset += t.numel * bytesPer;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));

  // Written under a temporary name and renamed at the end: an interrupted run never leaves a
  // truncated model.safetensors that looks finished.
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  const f32 = new Float32Array(CHUNK);
  const scratch = { f32, u32: new Uint32Array(f32.buffer), u16: new Uint16Array(CHUNK) };
  try {
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    for (const t of tensors) writeTensor(fd, s, t.name, t.numel, scratch);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  return { tensors: tensors.length, parameters: tensors.reduce((a, t) => a + t.numel, 0), bytes: 8 + headerBytes.length + offset };
}

function main() {
  const s = settingsFrom(process.argv.slice(2));
  if (existsSync(s.out) && !statSync(s.out).isDirectory()) fail(`${s.out} exists and is not a folder`);
  mkdirSync(s.out, { recursive: true });
  const started = performance.now();
  writeFileSync(join(s.out, 'config.json'), configJson(s));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER_DIR, f), join(s.out, f));
  const written = writeSafetensors(join(s.out, 'model.safetensors'), s);
  const seconds = (performance.now() - started) / 1000;

  console.log(
    `${s.out}: llama, hidden ${s.hidden}, intermediate ${s.intermediate}, ${s.layers} layers, ${s.heads} heads / ${s.kvHeads} KV heads, ` +
      `vocab ${VOCAB}, ${s.tied ? 'tied' : 'untied'} embeddings, ${s.dtype}, seed ${s.seed}: ` +
      `${written.parameters.toLocaleString('en-US')} parameters in ${written.tensors} tensors (${seconds.toFixed(1)} s)`,
  );
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    const size = statSync(join(s.out, f)).size;
    console.log(`  ${f.padEnd(22)} ${size.toLocaleString('en-US').padStart(14)} bytes  (${(size / 1e6).toFixed(1)} MB)`);
  }
}

main();
