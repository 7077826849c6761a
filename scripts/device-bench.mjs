#!/usr/bin/env node
// The bench on a real GPU: packs what `lora-playground bench-promises` needs to run on a machine
// that has an NVIDIA GPU but no Node, no npm registry and no internet (the `device` tool's
// machines), and writes the script that runs it there.
//
//   node scripts/device-bench.mjs pack          (here) → .device/ (git-ignored, ≤ 64 MiB)
//   bash .device/run.sh [OUT_DIR]                (there, from the repository root)
//   bash .device/run.sh --swiftshader OUT_DIR    (here: the same bundle on SwiftShader, to check it)
//
// .device/ holds: this machine's node binary (xz), Dawn's linux-x64 binding (npm `webgpu`), the CLI
// bundled into one ES module by Vite (WGSL inlined, every dependency but `webgpu` inside), and
// Debian's Vulkan loader (libvulkan1), which an image without one lacks. run.sh unpacks them, lets
// Dawn find the NVIDIA driver's Vulkan ICD, prints the adapter, and runs both bench sections with
// all 30 of SmolLM2-135M's layers, writing promises.json and the log to OUT_DIR ($OUT there).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.device');
const LIMIT = 64 * 1024 * 1024; // what the device tool carries, working tree included

const RUN_SH = `#!/usr/bin/env bash
# Runs the bench on the machine it was carried to (see scripts/device-bench.mjs). Usage:
#   bash .device/run.sh [OUT_DIR]                 a machine with an NVIDIA GPU (Vulkan)
#   bash .device/run.sh --swiftshader OUT_DIR     any machine, on SwiftShader (a check of the bundle)
# REAL_LAYERS (30), REAL_STEPS (5) and BENCH_ARGS (more bench-promises flags) change the run.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=0
if [ "\${1:-}" = "--swiftshader" ]; then SWIFT=1; shift; fi
OUT_DIR="\${1:-\${OUT:-/tmp/device-bench}}"
mkdir -p "$OUT_DIR" /tmp/device-bench
D=/tmp/device-bench
[ -x $D/node ] || xz -dc .device/node.xz > $D/node && chmod +x $D/node
# The Vulkan loader: the machine's, else the carried one, unpacked beside node (/ is left alone).
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .device/debs/*.deb; do dpkg -x "$f" $D/root; done
  export LD_LIBRARY_PATH="$D/root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ "$SWIFT" = 1 ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
else
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT_DIR/nvidia-smi.csv" 2>&1 || true
fi
export NODE_PATH="$PWD/.device/node_modules"
CLI=".device/app/main.mjs"
$D/node $CLI gpu 2>&1 | tee "$OUT_DIR/gpu.txt"
$D/node $CLI bench-promises --real-layers "\${REAL_LAYERS:-30}" --real-steps "\${REAL_STEPS:-5}" --out "$OUT_DIR/promises.json" \${BENCH_ARGS:-} 2>&1 | tee "$OUT_DIR/bench.log"
`;

/** The CLI as one ES module for Node: `webgpu` (a native binding) and node: builtins stay outside. */
async function bundleCli() {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      ssr: join(ROOT, 'src/cli/device-main.ts'),
      outDir: join(OUT, 'app'),
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: { external: ['webgpu', /^node:/], output: { entryFileNames: 'main.mjs' } },
    },
    ssr: { noExternal: true, external: ['webgpu'] },
  });
}

function sizeOf(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
}

async function pack() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  console.log('bundling the CLI (vite, ssr) …');
  await bundleCli();
  const webgpu = join(OUT, 'node_modules/webgpu');
  mkdirSync(join(webgpu, 'dist'), { recursive: true });
  for (const f of ['package.json', 'index.js']) copyFileSync(join(ROOT, 'node_modules/webgpu', f), join(webgpu, f));
  cpSync(join(ROOT, 'node_modules/webgpu/dist/linux-x64'), join(webgpu, 'dist/linux-x64'), { recursive: true });
  console.log(`compressing ${process.execPath} (xz) …`);
  execFileSync('bash', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${join(OUT, 'node.xz')}"`]);
  mkdirSync(join(OUT, 'debs'), { recursive: true });
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: join(OUT, 'debs'), stdio: 'inherit' });
  } catch {
    console.warn('apt-get download libvulkan1 failed: run.sh then needs a Vulkan loader on the machine');
  }
  writeFileSync(join(OUT, 'run.sh'), RUN_SH);
  chmodSync(join(OUT, 'run.sh'), 0o755);
  const packed = sizeOf(OUT);
  const tree = Number(execFileSync('bash', ['-c', 'git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1'], { cwd: ROOT, encoding: 'utf8' }).trim());
  console.log(`.device/: ${(packed / 2 ** 20).toFixed(1)} MiB; with the tracked working tree (${(tree / 2 ** 20).toFixed(1)} MiB): ${((packed + tree) / 2 ** 20).toFixed(1)} of ${LIMIT / 2 ** 20} MiB`);
  if (packed + tree > LIMIT) {
    console.error('over the device tool\'s 64 MiB: it would refuse to carry it');
    process.exit(1);
  }
  console.log(`run there with the device tool: command "bash .device/run.sh", carry [".device"], timeout_s 540`);
}

const [verb] = process.argv.slice(2);
if (verb === 'pack') await pack();
else {
  console.error('usage: node scripts/device-bench.mjs pack');
  process.exit(2);
}
