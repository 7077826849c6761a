// From the playground to a cluster: a Python script (transformers + PEFT, launched by accelerate)
// written beside an exported adapter, which resumes that adapter on the same text with the run's
// settings, on one GPU or many (FSDP or DeepSpeed ZeRO-2 configs beside it). Its LoraConfig is
// written from the adapter_config.json the export holds (src/io/peft.ts writes it), key by key, so
// whatever that file says — variants included — the script says too.

/** The run's training settings, as the playground or `train` used them. */
export interface ClusterTraining {
  steps: number;
  lr: number;
  /** Sequences per GPU and step. */
  batch: number;
  seqLen: number;
  seed: number;
  optimizer: 'adamw' | 'sgd';
  weightDecay: number;
  /** null: no clipping. */
  maxGradNorm: number | null;
  schedule: 'constant' | 'cosine';
  warmup: number;
  evalEvery: number;
}

export interface ClusterRun {
  /** adapter_config.json as exported beside the script. */
  adapterConfigJson: string;
  /** A Hub id (ORG/NAME, optionally @REVISION) or a folder; the script's --base-model overrides it. */
  baseModel: string;
  /** The text the run trained on, copied beside the script under its own name (.txt or .jsonl). */
  text: { name: string; contents: string | Uint8Array };
  training: ClusterTraining;
}

export const TRAIN_SCRIPT = 'train_lora.py';
export const FSDP_CONFIG = 'accelerate_fsdp.yaml';
export const DEEPSPEED_CONFIG = 'accelerate_deepspeed.yaml';

/**
 * adapter_config.json keys that are not LoraConfig arguments here: set by PEFT itself (peft_type,
 * peft_version, auto_mapping), about where the base lives (the script's --base-model says that), or
 * inference_mode, which is false for training (PeftModel.from_pretrained(..., is_trainable=True)).
 */
export const KEYS_NOT_PASSED = ['peft_type', 'peft_version', 'auto_mapping', 'base_model_name_or_path', 'revision', 'inference_mode'];

/** A JSON value as a Python literal (None/True/False; JSON's string escapes are Python's too). */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no Python literal in a config`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`).join(', ')}}`;
  throw new Error(`cannot write ${typeof value} as a Python literal`);
}

/** LoraConfig's keyword arguments: every key of adapter_config.json but KEYS_NOT_PASSED, then inference_mode=False. */
export function loraConfigArguments(adapterConfigJson: string): [string, unknown][] {
  const config = JSON.parse(adapterConfigJson) as Record<string, unknown>;
  if (config.peft_type !== 'LORA') throw new Error(`the script resumes LoRA adapters; this one is ${JSON.stringify(config.peft_type)}`);
  return [...Object.entries(config).filter(([k]) => !KEYS_NOT_PASSED.includes(k)), ['inference_mode', false]];
}

function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  if (!/\.(txt|jsonl)$/.test(base)) throw new Error(`the training text must be a .txt or .jsonl file, got ${name}`);
  return base;
}

/** train_lora.py, the two accelerate configs and the training text, to write beside the adapter. */
export function clusterFiles(run: ClusterRun): Record<string, string | Uint8Array> {
  const textName = safeName(run.text.name);
  if ([TRAIN_SCRIPT, FSDP_CONFIG, DEEPSPEED_CONFIG, 'adapter_config.json'].includes(textName)) throw new Error(`the training text cannot be named ${textName}`);
  return {
    [TRAIN_SCRIPT]: trainScript(run, textName),
    [FSDP_CONFIG]: fsdpConfig(),
    [DEEPSPEED_CONFIG]: deepspeedConfig(run.training.maxGradNorm),
    [textName]: run.text.contents,
  };
}

function trainScript(run: ClusterRun, textName: string): string {
  const args = loraConfigArguments(run.adapterConfigJson);
  const t = run.training;
  const py = pythonLiteral;
  return `#!/usr/bin/env python3
"""Continue a LoRA Playground run on your own GPUs: transformers + PEFT, launched by accelerate.

Written by lora-playground beside the adapter it resumes (adapter_config.json,
adapter_model.safetensors) and the text the run trained on (${textName}).

    pip install torch transformers peft accelerate     # and deepspeed for the DeepSpeed config
    accelerate launch ${TRAIN_SCRIPT}                                                  # one GPU
    accelerate launch --config_file ${FSDP_CONFIG} --num_processes 8 ${TRAIN_SCRIPT}       # 8 GPUs, FSDP
    accelerate launch --config_file ${DEEPSPEED_CONFIG} --num_processes 8 ${TRAIN_SCRIPT}  # 8 GPUs, ZeRO-2

Each step, every process trains on its own BATCH random windows of SEQ_LEN + 1 tokens from the
first 90 % of the text (the rest is held out for validation), as the playground does; with N
processes a step sees N x BATCH sequences. The adapter is saved with save_pretrained to
--output-dir, a PEFT folder the playground imports too.
"""
import argparse
import json
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, get_constant_schedule, get_cosine_schedule_with_warmup

HERE = Path(__file__).resolve().parent

# The run's LoRA settings: the values of adapter_config.json beside this file (inference_mode
# aside: this script trains). Resuming checks that the adapter's own config still says the same.
LORA_CONFIG = LoraConfig(
${args.map(([k, v]) => `    ${k}=${py(v)},`).join('\n')}
)
LORA_FIELDS = (${args.map(([k]) => py(k)).join(', ')},)

# The run's training settings (the flags below override the first ones).
BASE_MODEL = ${py(run.baseModel)}
TEXT_FILE = ${py(textName)}
STEPS = ${py(t.steps)}
LEARNING_RATE = ${py(t.lr)}
BATCH = ${py(t.batch)}  # sequences per process and step
SEQ_LEN = ${py(t.seqLen)}
SEED = ${py(t.seed)}
EVAL_EVERY = ${py(t.evalEvery)}
OPTIMIZER = ${py(t.optimizer)}  # "adamw" (torch.optim.AdamW) or "sgd"
WEIGHT_DECAY = ${py(t.weightDecay)}
MAX_GRAD_NORM = ${py(t.maxGradNorm)}  # None: no clipping (under DeepSpeed its config clips)
SCHEDULE = ${py(t.schedule)}  # "constant", or "cosine": linear warmup, then cosine decay to 0
WARMUP = ${py(t.warmup)}


def parse_args():
    p = argparse.ArgumentParser(description="Resume a LoRA Playground adapter with transformers + PEFT under accelerate.")
    p.add_argument("--base-model", default=BASE_MODEL, help="the base model the adapter was trained on: a Hub id (ORG/NAME[@REVISION]) or a folder")
    p.add_argument("--adapter", default=str(HERE), help="the PEFT adapter folder to resume (default: this script's folder)")
    p.add_argument("--fresh", action="store_true", help="start a new adapter from LORA_CONFIG instead of resuming")
    p.add_argument("--text", default=str(HERE / TEXT_FILE), help="a .txt file (one document) or .jsonl with a \\"text\\" field per line")
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument("--lr", type=float, default=LEARNING_RATE)
    p.add_argument("--batch", type=int, default=BATCH, help="sequences per process and step")
    p.add_argument("--seq-len", type=int, default=SEQ_LEN)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--eval-every", type=int, default=EVAL_EVERY, help="validation loss every N steps (0: only at the end)")
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"], help="the base weights' dtype (auto: the checkpoint's own)")
    p.add_argument("--output-dir", default="lora-out")
    return p.parse_args()


def base_model_source(name):
    """A folder, or a Hub id with an optional @revision (how the playground names Hub models)."""
    if Path(name).is_dir():
        return name, None
    m = re.fullmatch(r"([\\w.-]+/[\\w.-]+)(?:@(.+))?", name)
    if not m:
        raise SystemExit(f"base model {name!r} is neither a folder nor a Hub id: pass --base-model with the folder or ORG/NAME of the model the adapter was trained on")
    return m.group(1), m.group(2)


def read_documents(path):
    """A .txt file is one document; .jsonl has a "text" field on each line (as the playground reads them)."""
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".txt"):
        return [text]
    if path.endswith(".jsonl"):
        return [json.loads(line)["text"] for line in text.split("\\n") if line.strip()]
    raise SystemExit(f"{path}: give a .txt file, or .jsonl with a \\"text\\" field on each line")


def token_stream(tokenizer, documents):
    """All documents as one stream of ids, with EOS between documents when the tokenizer has one."""
    ids = []
    for i, document in enumerate(documents):
        ids += tokenizer(document, add_special_tokens=False)["input_ids"]
        if tokenizer.eos_token_id is not None and i < len(documents) - 1:
            ids.append(tokenizer.eos_token_id)
    return torch.tensor(ids, dtype=torch.long)


def random_windows(tokens, batch, seq_len, generator):
    """batch windows of seq_len + 1 tokens: the inputs, and each position's next token."""
    starts = torch.randint(0, len(tokens) - seq_len, (batch,), generator=generator).tolist()
    windows = torch.stack([tokens[s : s + seq_len + 1] for s in starts])
    return windows[:, :-1], windows[:, 1:]


def next_token_loss(model, inputs, targets):
    logits = model(input_ids=inputs).logits
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))


@torch.no_grad()
def validation_loss(model, tokens, seq_len, batch, device):
    """Mean next-token loss over the held-out tokens cut into consecutive windows (at most 64 batches)."""
    model.eval()
    seq_len = min(seq_len, len(tokens) - 1)
    starts = list(range(0, len(tokens) - seq_len, seq_len))[: 64 * batch]
    total, count = 0.0, 0
    for i in range(0, len(starts), batch):
        windows = torch.stack([tokens[s : s + seq_len + 1] for s in starts[i : i + batch]]).to(device)
        total += next_token_loss(model, windows[:, :-1], windows[:, 1:]).item() * windows.shape[0]
        count += windows.shape[0]
    model.train()
    return total / count


def check_same_config(loaded):
    """The adapter's adapter_config.json must still say what LORA_CONFIG says (one of them may have been edited)."""
    norm = lambda v: sorted(v) if isinstance(v, (set, list, tuple)) else v
    for name in LORA_FIELDS:
        if name != "inference_mode" and norm(getattr(loaded, name)) != norm(getattr(LORA_CONFIG, name)):
            raise SystemExit(f"the adapter's {name} is {getattr(loaded, name)!r} but LORA_CONFIG says {getattr(LORA_CONFIG, name)!r}: make them agree, or pass --fresh")


def main():
    args = parse_args()
    accelerator = Accelerator()
    set_seed(args.seed)
    model_id, revision = base_model_source(args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(model_id, revision=revision)
    tokens = token_stream(tokenizer, read_documents(args.text))
    cut = int(len(tokens) * 0.9)
    train, validation = tokens[:cut], tokens[cut:]
    if len(train) < args.seq_len + 1 or len(validation) < 2:
        raise SystemExit(f"the text has {len(tokens)} tokens: too few for sequences of {args.seq_len}; use more text or a shorter --seq-len")

    dtype = "auto" if args.dtype == "auto" else getattr(torch, args.dtype)
    model = AutoModelForCausalLM.from_pretrained(model_id, revision=revision, torch_dtype=dtype)
    if args.fresh:
        model = get_peft_model(model, LORA_CONFIG)
    else:
        model = PeftModel.from_pretrained(model, args.adapter, is_trainable=True)
        check_same_config(model.peft_config["default"])
    if accelerator.is_main_process:
        model.print_trainable_parameters()
    if getattr(accelerator.state, "fsdp_plugin", None) is not None:
        # LoRA under FSDP (use_orig_params false): trainable and frozen weights wrapped apart, as PEFT's guide does.
        from peft.utils.other import fsdp_auto_wrap_policy

        accelerator.state.fsdp_plugin.auto_wrap_policy = fsdp_auto_wrap_policy(model)
    if getattr(accelerator.state, "deepspeed_plugin", None) is not None:
        # No DataLoader here: DeepSpeed takes the per-process batch from its config.
        accelerator.state.deepspeed_plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = args.batch

    trainable = [p for p in model.parameters() if p.requires_grad]
    if OPTIMIZER == "adamw":
        optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=WEIGHT_DECAY)
    else:
        optimizer = torch.optim.SGD(trainable, lr=args.lr)
    # Not passed to prepare(): accelerate would step it once per process each step.
    schedule = get_cosine_schedule_with_warmup(optimizer, WARMUP, args.steps) if SCHEDULE == "cosine" else get_constant_schedule(optimizer)
    model, optimizer = accelerator.prepare(model, optimizer)

    generator = torch.Generator().manual_seed(args.seed * 1000 + accelerator.process_index)
    model.train()
    for step in range(1, args.steps + 1):
        inputs, targets = random_windows(train, args.batch, args.seq_len, generator)
        loss = next_token_loss(model, inputs.to(accelerator.device), targets.to(accelerator.device))
        accelerator.backward(loss)
        if MAX_GRAD_NORM is not None:
            accelerator.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        lr = schedule.get_last_lr()[0]
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        record = {"step": step, "loss": accelerator.reduce(loss.detach(), reduction="mean").item(), "lr": lr}
        if step == args.steps or (args.eval_every > 0 and step % args.eval_every == 0):
            record["val_loss"] = validation_loss(model, validation, args.seq_len, args.batch, accelerator.device)
        accelerator.print(json.dumps(record))

    accelerator.wait_for_everyone()
    if getattr(accelerator.state, "fsdp_plugin", None) is not None:
        accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    state = accelerator.get_state_dict(model)
    accelerator.unwrap_model(model).save_pretrained(args.output_dir, is_main_process=accelerator.is_main_process, save_function=accelerator.save, state_dict=state)
    accelerator.print(json.dumps({"saved": args.output_dir}))


if __name__ == "__main__":
    main()
`;
}

const LAUNCH_COMMON = `machine_rank: 0
main_training_function: main
mixed_precision: bf16  # 'no' on GPUs without bfloat16
num_machines: 1
num_processes: 2  # or --num_processes N on the command line
rdzv_backend: static
same_network: true
use_cpu: false
`;

function fsdpConfig(): string {
  return `# accelerate launch --config_file ${FSDP_CONFIG} --num_processes N ${TRAIN_SCRIPT}
# FSDP over the GPUs of one machine, as PEFT's FSDP guide sets it up for LoRA: use_orig_params
# false, so ${TRAIN_SCRIPT} wraps trainable and frozen weights apart (peft.utils.other.fsdp_auto_wrap_policy);
# the adapter is gathered into a full state dict to be saved.
compute_environment: LOCAL_MACHINE
distributed_type: FSDP
fsdp_config:
  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP
  fsdp_backward_prefetch: BACKWARD_PRE
  fsdp_cpu_ram_efficient_loading: false
  fsdp_forward_prefetch: false
  fsdp_offload_params: false
  fsdp_sharding_strategy: FULL_SHARD
  fsdp_state_dict_type: SHARDED_STATE_DICT
  fsdp_sync_module_states: true
  fsdp_use_orig_params: false
${LAUNCH_COMMON}`;
}

function deepspeedConfig(maxGradNorm: number | null): string {
  return `# accelerate launch --config_file ${DEEPSPEED_CONFIG} --num_processes N ${TRAIN_SCRIPT}
# DeepSpeed ZeRO stage 2 over the GPUs of one machine (pip install deepspeed): the optimizer state
# and gradients of the adapter are partitioned. DeepSpeed clips gradients itself, at the run's
# max grad norm (0: off).
compute_environment: LOCAL_MACHINE
distributed_type: DEEPSPEED
deepspeed_config:
  zero_stage: 2
  gradient_accumulation_steps: 1
  gradient_clipping: ${maxGradNorm ?? 0}
  offload_optimizer_device: none
  offload_param_device: none
  zero3_init_flag: false
${LAUNCH_COMMON}`;
}
