#!/usr/bin/env node
// Writes a Hugging Face model folder (Llama, Qwen2 or Mistral) with seeded random weights, for
// testing how the page and the CLI cope with a model of a given size and layout, with no download:
// config.json, the weights (one model.safetensors, or shards + model.safetensors.index.json as
// save_pretrained writes them), tokenizer.json and tokenizer_config.json. Weights are streamed to
// disk in chunks, so memory stays small whatever the size.
//
//   node scripts/make-model.mjs --out DIR [--preset NAME] [options]   (--help lists them)
//
// Tensor names and shapes are those of src/model/config.ts (llamaParameterShapes): LlamaForCausalLM's,
// which MistralForCausalLM shares; Qwen2ForCausalLM adds q/k/v_proj biases. Weights are N(0, 0.02)
// (HF's initializer_range), norm weights 1; each tensor has its own seeded stream, so its values
// depend only on --seed and its name. A safetensors file lists its tensors sorted by name,
// __metadata__ {format: "pt"} first, and the data follows in the same order, contiguous; the header
// is padded with spaces to a multiple of 8.
//
// Tokenizer: with --vocab 256 (the default), the byte-level tokenizer of the bundled model
// (public/models/byte-caps: one id per byte). With any other vocab size, a byte-level BPE
// tokenizer laid out like SmolLM2's (GPT-2's byte alphabet, SmolLM2's 17 special tokens at ids
// 0–16, its pre-tokenizer and decoder) whose merges are generated, not trained: whitespace runs,
// common punctuation pairs, then letter strings ordered by English letter frequency, as many as
// fill the vocabulary exactly. Any text encodes to ids below the vocab size and decodes back.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BYTE_TOKENIZER_DIR = join(ROOT, 'public/models/byte-caps');
const BYTE_VOCAB = 256; // the byte-level tokenizer's
/** SmolLM2's special tokens, ids 0–16 of its vocabulary. */
const SPECIAL_TOKENS = [
  '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<repo_name>', '<reponame>', '<file_sep>', '<filename>', '<gh_stars>',
  '<issue_start>', '<issue_comment>', '<issue_closed>', '<jupyter_start>', '<jupyter_text>', '<jupyter_code>',
  '<jupyter_output>', '<jupyter_script>', '<empty_output>',
];


const MODEL_TYPES = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  mistral: 'MistralForCausalLM',
};
const DTYPES = { F32: { bytes: 4, torch: 'float32' }, BF16: { bytes: 2, torch: 'bfloat16' }, F16: { bytes: 2, torch: 'float16' } };

const DEFAULTS = {
  modelType: 'llama', hidden: 64, intermediate: 176, layers: 2, heads: 4, kvHeads: 2, maxPosition: 256, tied: true,
  dtype: 'F32', vocab: BYTE_VOCAB, ropeTheta: 10000, rmsNormEps: 0.00001,
};
const PRESETS = {
  // hidden 1024 / intermediate 2816 / 2 layers / 16 heads / 4 KV heads gives 91.2 MB of F32, under
  // the 100 MB this preset is for; intermediate 3328 (13·256) brings it to 103.8 MB.
  'big-test': { ...DEFAULTS, hidden: 1024, intermediate: 3328, layers: 2, heads: 16, kvHeads: 4 },
  // HuggingFaceTB/SmolLM2-135M's published config.json (head_dim 576 / 9 = 64); 134.5M parameters.
  'smollm2-135m': {
    ...DEFAULTS, hidden: 576, intermediate: 1536, layers: 30, heads: 9, kvHeads: 3, maxPosition: 8192, tied: true,
    dtype: 'BF16', vocab: 49152, ropeTheta: 100000, rmsNormEps: 0.00001,
  },
  // The defaults' shapes as Qwen2 (q/k/v biases; Qwen2's rope_theta and eps) and as Mistral (untied, as Mistral's are).
  'tiny-qwen2': { ...DEFAULTS, modelType: 'qwen2', ropeTheta: 1000000, rmsNormEps: 0.000001 },
  'tiny-mistral': { ...DEFAULTS, modelType: 'mistral', tied: false },
};

const USAGE = `usage: node scripts/make-model.mjs --out DIR [options]

  --out DIR             the folder to write (made if missing; a previous run's weights in it are replaced)
  --preset NAME         start from a preset; the options below override it:
                          big-test      llama, hidden 1024, 2 layers, byte vocab, F32 (104 MB)
                          smollm2-135m  SmolLM2-135M's config: hidden 576, intermediate 1536, 30 layers,
                                        9 heads / 3 KV heads, vocab 49152 (BPE tokenizer), tied, BF16 (269 MB)
                          tiny-qwen2    the defaults as Qwen2 (q/k/v biases)
                          tiny-mistral  the defaults as Mistral, untied
  --model-type TYPE     llama (default), qwen2 or mistral
  --hidden N            hidden size (default 64)
  --intermediate N      MLP size (default 176)
  --layers N            decoder layers (default 2)
  --heads N             attention heads (default 4)
  --kv-heads N          key/value heads (default 2)
  --max-position N      max_position_embeddings (default 256)
  --vocab N             256 (default): the byte-level tokenizer; any other N ≥ ${SPECIAL_TOKENS.length + 256}: a generated
                        byte-level BPE tokenizer with exactly N entries
  --sliding-window N    mistral: its sliding_window (default 4096); qwen2: the sliding_window written
                        with use_sliding_window false (default: max-position)
  --untied              a separate lm_head.weight (default: tied to the embeddings)
  --dtype D             F32 (default), BF16 or F16 (rounded to nearest even)
  --shard-mb N          split the weights into shards of at most N MB (10^6 bytes; decimals allowed) of
                        tensor data, model-0000i-of-0000K.safetensors + model.safetensors.index.json
  --seed N              the random seed (default 0)
  -h, --help            this text`;

function fail(message) {
  console.error(`make-model: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(name, text, min = 1) {
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) fail(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

function positiveNumber(name, text) {
  const n = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(n > 0) || !Number.isFinite(n)) fail(`--${name} must be a number > 0, got ${JSON.stringify(text)}`);
  return n;
}

function settingsFrom(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        preset: { type: 'string' },
        'model-type': { type: 'string' },
        hidden: { type: 'string' },
        intermediate: { type: 'string' },
        layers: { type: 'string' },
        heads: { type: 'string' },
        'kv-heads': { type: 'string' },
        'max-position': { type: 'string' },
        vocab: { type: 'string' },
        'sliding-window': { type: 'string' },
        untied: { type: 'boolean' },
        dtype: { type: 'string' },
        'shard-mb': { type: 'string' },
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
  const s = { ...base, out: resolve(parsed.out), seed: 0, shardBytes: null, slidingWindow: null };
  if (parsed['model-type'] !== undefined) {
    if (!Object.hasOwn(MODEL_TYPES, parsed['model-type'])) fail(`--model-type must be one of ${Object.keys(MODEL_TYPES).join(', ')}, got ${JSON.stringify(parsed['model-type'])}`);
    s.modelType = parsed['model-type'];
  }
  if (parsed.hidden !== undefined) s.hidden = wholeNumber('hidden', parsed.hidden);
  if (parsed.intermediate !== undefined) s.intermediate = wholeNumber('intermediate', parsed.intermediate);
  if (parsed.layers !== undefined) s.layers = wholeNumber('layers', parsed.layers);
  if (parsed.heads !== undefined) s.heads = wholeNumber('heads', parsed.heads);
  if (parsed['kv-heads'] !== undefined) s.kvHeads = wholeNumber('kv-heads', parsed['kv-heads']);
  if (parsed['max-position'] !== undefined) s.maxPosition = wholeNumber('max-position', parsed['max-position']);
  if (parsed.vocab !== undefined) s.vocab = wholeNumber('vocab', parsed.vocab);
  if (parsed.untied) s.tied = false;
  if (parsed.seed !== undefined) s.seed = wholeNumber('seed', parsed.seed, 0) >>> 0;
  if (parsed.dtype !== undefined) {
    const d = parsed.dtype.toUpperCase();
    if (!Object.hasOwn(DTYPES, d)) fail(`--dtype must be F32, BF16 or F16, got ${JSON.stringify(parsed.dtype)}`);
    s.dtype = d;
  }
  if (parsed['shard-mb'] !== undefined) s.shardBytes = Math.max(1, Math.floor(positiveNumber('shard-mb', parsed['shard-mb']) * 1e6));
  if (parsed['sliding-window'] !== undefined) {
    if (s.modelType === 'llama') fail('--sliding-window is for --model-type mistral or qwen2; llama has no sliding window');
    s.slidingWindow = wholeNumber('sliding-window', parsed['sliding-window']);
  }
  if (s.slidingWindow === null && s.modelType === 'mistral') s.slidingWindow = 4096;
  if (s.slidingWindow === null && s.modelType === 'qwen2') s.slidingWindow = s.maxPosition;

  // The checks of validateLlamaConfig (src/model/config.ts), so a bad size fails here, not in the loader.
  if (s.hidden % s.heads !== 0) fail(`--heads (${s.heads}) must divide --hidden (${s.hidden})`);
  if (s.heads % s.kvHeads !== 0) fail(`--kv-heads (${s.kvHeads}) must divide --heads (${s.heads})`);
  if ((s.hidden / s.heads) % 2 !== 0) fail(`the head dimension hidden/heads must be even, got ${s.hidden / s.heads}`);
  const minBpe = SPECIAL_TOKENS.length + 256;
  if (s.vocab !== BYTE_VOCAB && (s.vocab < minBpe || s.vocab > 1 << 20)) fail(`--vocab must be 256 (bytes) or from ${minBpe} to ${1 << 20} (BPE), got ${s.vocab}`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// config.json

function configJson(s) {
  const bpe = s.vocab !== BYTE_VOCAB;
  const json = {
    architectures: [MODEL_TYPES[s.modelType]],
    model_type: s.modelType,
    vocab_size: s.vocab,
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    // Qwen2's configs have no head_dim (always hidden / heads); Llama's and Mistral's spell it out.
    ...(s.modelType === 'qwen2' ? {} : { head_dim: s.hidden / s.heads }),
    hidden_act: 'silu',
    initializer_range: 0.02,
    rms_norm_eps: s.rmsNormEps,
    rope_theta: s.ropeTheta,
    max_position_embeddings: s.maxPosition,
    ...(s.modelType === 'mistral' ? { sliding_window: s.slidingWindow } : {}),
    ...(s.modelType === 'qwen2' ? { use_sliding_window: false, sliding_window: s.slidingWindow, max_window_layers: s.layers } : {}),
    tie_word_embeddings: s.tied,
    // Qwen2's q/k/v biases are implied by its model_type; Llama says so with attention_bias.
    ...(s.modelType === 'llama' ? { attention_bias: false, mlp_bias: false } : {}),
    attention_dropout: 0,
    torch_dtype: DTYPES[s.dtype].torch,
    // The BPE tokenizer's <|endoftext|> is id 0, as SmolLM2's; the byte tokenizer has none.
    bos_token_id: bpe ? 0 : null,
    eos_token_id: bpe ? 0 : null,
    use_cache: true,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** [name, shape] of every parameter in the model's own order (as state_dict lists them), named as
 *  llamaParameterShapes in src/model/config.ts names them. */
function parameterShapes(s) {
  const d = s.hidden;
  const hd = s.hidden / s.heads;
  const bias = s.modelType === 'qwen2';
  const shapes = [['model.embed_tokens.weight', [s.vocab, d]]];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.push(
      [`${p}.input_layernorm.weight`, [d]],
      [`${p}.self_attn.q_proj.weight`, [s.heads * hd, d]],
      ...(bias ? [[`${p}.self_attn.q_proj.bias`, [s.heads * hd]]] : []),
      [`${p}.self_attn.k_proj.weight`, [s.kvHeads * hd, d]],
      ...(bias ? [[`${p}.self_attn.k_proj.bias`, [s.kvHeads * hd]]] : []),
      [`${p}.self_attn.v_proj.weight`, [s.kvHeads * hd, d]],
      ...(bias ? [[`${p}.self_attn.v_proj.bias`, [s.kvHeads * hd]]] : []),
      [`${p}.self_attn.o_proj.weight`, [d, s.heads * hd]],
      [`${p}.post_attention_layernorm.weight`, [d]],
      [`${p}.mlp.gate_proj.weight`, [s.intermediate, d]],
      [`${p}.mlp.up_proj.weight`, [s.intermediate, d]],
      [`${p}.mlp.down_proj.weight`, [d, s.intermediate]],
    );
  }
  shapes.push(['model.norm.weight', [d]]);
  if (!s.tied) shapes.push(['lm_head.weight', [s.vocab, d]]);
  return shapes.map(([name, shape]) => ({ name, shape, numel: shape.reduce((a, b) => a * b, 1) }));
}

// ---------------------------------------------------------------------------------------------
// Weights

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

/** f32 bits → bf16 bits, rounded to nearest even (the values here are finite). */
function bf16Bits(x) {
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** f32 bits → f16 bits, rounded to nearest even, with subnormals; as f32ToF16 in src/io/safetensors.ts. */
function f16Bits(x) {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
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
      const convert = s.dtype === 'BF16' ? bf16Bits : f16Bits;
      for (let i = 0; i < n; i++) u16[i] = convert(u32[i]);
      writeAll(fd, new Uint8Array(u16.buffer, 0, n * 2));
    }
    done += n;
  }
}

function writeAll(fd, bytes) {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** One safetensors file of the given tensors, written to `path` (the caller renames it into place). */
function writeSafetensors(path, tensors, s, scratch) {
  const bytesPer = DTYPES[s.dtype].bytes;
  const sorted = [...tensors].sort(byName); // as the reference serializer lays out tensors of one dtype
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of sorted) {
    header[t.name] = { dtype: s.dtype, shape: t.shape, data_offsets: [offset, offset + t.numel * bytesPer] };
    offset += t.numel * bytesPer;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, prefix);
    writeAll(fd, headerBytes);
    for (const t of sorted) writeTensor(fd, s, t.name, t.numel, scratch);
  } finally {
    closeSync(fd);
  }
}

/** Files of an earlier run that the loader would read instead of (or beside) this run's. */
const WEIGHT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors(\.partial)?$|^model\.safetensors\.index\.json(\.partial)?$/;

/**
 * The weights: model.safetensors, or with --shard-mb the shards that save_pretrained writes
 * (greedily in the model's parameter order, a new shard when the next tensor would not fit; a
 * tensor bigger than the limit gets a shard of its own) and model.safetensors.index.json.
 * Everything is written under .partial names and renamed at the end: an interrupted run never
 * leaves a truncated file that looks finished. Returns the names of the files written.
 */
function writeWeights(s) {
  for (const f of readdirSync(s.out)) if (WEIGHT_FILE.test(f)) rmSync(join(s.out, f));
  const tensors = parameterShapes(s);
  const bytesPer = DTYPES[s.dtype].bytes;
  const shards = [[]];
  let used = 0;
  for (const t of tensors) {
    const size = t.numel * bytesPer;
    if (s.shardBytes !== null && used > 0 && used + size > s.shardBytes) {
      shards.push([]);
      used = 0;
    }
    shards[shards.length - 1].push(t);
    used += size;
  }
  const count = String(shards.length).padStart(5, '0');
  const names = s.shardBytes === null ? ['model.safetensors'] : shards.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`);

  const f32 = new Float32Array(CHUNK);
  const scratch = { f32, u32: new Uint32Array(f32.buffer), u16: new Uint16Array(CHUNK) };
  shards.forEach((shard, i) => writeSafetensors(join(s.out, `${names[i]}.partial`), shard, s, scratch));
  if (s.shardBytes !== null) {
    const weightMap = {};
    shards.forEach((shard, i) => shard.forEach((t) => (weightMap[t.name] = names[i])));
    const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const total = tensors.reduce((a, t) => a + t.numel * bytesPer, 0);
    writeFileSync(join(s.out, 'model.safetensors.index.json.partial'), `${JSON.stringify({ metadata: { total_size: total }, weight_map: sortedMap }, null, 2)}\n`);
    names.push('model.safetensors.index.json');
  }
  for (const name of names) renameSync(join(s.out, `${name}.partial`), join(s.out, name));
  return { files: names, tensors: tensors.length, parameters: tensors.reduce((a, t) => a + t.numel, 0) };
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

/** GPT-2's reversible byte → printable character map (the ByteLevel pre-tokenizer's alphabet). */
function byteToUnicode() {
  const direct = (b) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const chars = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(direct(b) ? b : 256 + extra++);
  return chars;
}

/**
 * `count` BPE merges, each "left right" with left + right a new token and both sides tokens made
 * earlier (or bytes). First whitespace runs and punctuation pairs as code has them; then letter
 * strings in order of a cost that favours frequent letters and short strings: each letter costs
 * 3 + its rank in English letter frequency, a leading space 1, a capital 6 more. A string always
 * costs more than its prefix, so sorting by cost makes every merge's parts before it.
 */
function generatedMerges(count) {
  const SPACE = 'Ġ'; // the byte alphabet's space, newline and tab
  const NEWLINE = 'Ċ';
  const TAB = 'ĉ';
  const merges = [];
  const made = new Set();
  const add = (left, right) => {
    if (merges.length < count && !made.has(left + right)) {
      made.add(left + right);
      merges.push(`${left} ${right}`);
    }
  };
  for (let n = 2; n <= 16; n++) add(SPACE.repeat(n - 1), SPACE);
  for (let n = 2; n <= 4; n++) add(NEWLINE.repeat(n - 1), NEWLINE);
  for (let n = 2; n <= 4; n++) add(TAB.repeat(n - 1), TAB);
  for (const p of '.,:;()[]{}=-+*/\'"#<>_&|!?%$@`~\\^') add(SPACE, p);
  for (const pair of ['()', '):', '();', '),', '{}', '[]', '""', "''", '==', '!=', '<=', '>=', '=>', '->', '//', '/*', '*/', '...', '--', '++', '&&', '||', '::', '</', '/>']) {
    for (let i = 2; i <= pair.length; i++) add(pair.slice(0, i - 1), pair[i - 1]);
  }

  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  const need = count - merges.length;
  // Every letter string of cost ≤ cap, in four forms: word, " word", "Word", " Word".
  const candidates = (cap) => {
    const out = [];
    const extend = (text, cost, length) => {
      if (length >= 2) out.push({ text, cost, length });
      for (let r = 0; r < letters.length && cost + 3 + r <= cap; r++) extend(text + letters[r], cost + 3 + r, length + 1);
    };
    for (let r = 0; r < letters.length; r++) {
      const lower = letters[r];
      const upper = lower.toUpperCase();
      for (const [text, extra, length] of [[lower, 0, 1], [SPACE + lower, 1, 2], [upper, 6, 1], [SPACE + upper, 7, 2]]) {
        if (3 + r + extra <= cap) extend(text, 3 + r + extra, length);
      }
    }
    return out;
  };
  let cap = 6;
  let found = candidates(cap);
  while (found.length < need) found = candidates(++cap);
  found.sort((a, b) => a.cost - b.cost || a.length - b.length || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  for (const { text } of found) {
    if (merges.length >= count) break;
    add(text.slice(0, -1), text.slice(-1));
  }
  return merges;
}

/** tokenizer.json (Hugging Face tokenizers' format) of a byte-level BPE with exactly `vocabSize` entries. */
function bpeTokenizerJson(vocabSize) {
  const vocab = {};
  let next = 0;
  for (const t of SPECIAL_TOKENS) vocab[t] = next++;
  for (const ch of byteToUnicode().sort()) vocab[ch] = next++; // the alphabet in code point order, as HF's trainer lays it out
  const merges = generatedMerges(vocabSize - next);
  for (const m of merges) vocab[m.replace(' ', '')] = next++;
  if (next !== vocabSize) throw new Error(`generated ${next} tokens, not ${vocabSize}`);
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Digits', individual_digits: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** tokenizer_config.json as SmolLM2-135M's: <|endoftext|> for bos, eos and unk; ChatML markers special. */
function bpeTokenizerConfigJson(s) {
  const json = {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      SPECIAL_TOKENS.map((content, id) => [String(id), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
    ),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: '<|endoftext|>',
    clean_up_tokenization_spaces: false,
    eos_token: '<|endoftext|>',
    model_max_length: s.maxPosition,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: '<|endoftext|>',
    vocab_size: s.vocab,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

function writeTokenizer(s) {
  if (s.vocab === BYTE_VOCAB) {
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(BYTE_TOKENIZER_DIR, f), join(s.out, f));
  } else {
    writeFileSync(join(s.out, 'tokenizer.json'), bpeTokenizerJson(s.vocab));
    writeFileSync(join(s.out, 'tokenizer_config.json'), bpeTokenizerConfigJson(s));
  }
}

// ---------------------------------------------------------------------------------------------

function main() {
  const s = settingsFrom(process.argv.slice(2));
  if (existsSync(s.out) && !statSync(s.out).isDirectory()) fail(`${s.out} exists and is not a folder`);
  mkdirSync(s.out, { recursive: true });
  const started = performance.now();
  writeFileSync(join(s.out, 'config.json'), configJson(s));
  writeTokenizer(s);
  const written = writeWeights(s);
  const seconds = (performance.now() - started) / 1000;

  const window = s.modelType === 'mistral' ? `, sliding window ${s.slidingWindow}` : '';
  console.log(
    `${s.out}: ${s.modelType}, hidden ${s.hidden}, intermediate ${s.intermediate}, ${s.layers} layers, ${s.heads} heads / ${s.kvHeads} KV heads, ` +
      `vocab ${s.vocab} (${s.vocab === BYTE_VOCAB ? 'bytes' : 'BPE'}), ${s.tied ? 'tied' : 'untied'} embeddings${window}, ${s.dtype}, seed ${s.seed}: ` +
      `${written.parameters.toLocaleString('en-US')} parameters in ${written.tensors} tensors (${seconds.toFixed(1)} s)`,
  );
  let total = 0;
  for (const f of ['config.json', ...written.files, 'tokenizer.json', 'tokenizer_config.json']) {
    const size = statSync(join(s.out, f)).size;
    total += size;
    console.log(`  ${f.padEnd(36)} ${size.toLocaleString('en-US').padStart(14)} bytes  (${(size / 1e6).toFixed(1)} MB)`);
  }
  console.log(`  ${'total'.padEnd(36)} ${total.toLocaleString('en-US').padStart(14)} bytes  (${(total / 1e6).toFixed(1)} MB)`);
}

main();
