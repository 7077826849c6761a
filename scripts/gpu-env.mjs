// Finds what WebGPU needs on a Linux machine without a GPU: Debian's chromium package ships
// SwiftShader's Vulkan driver (and a Vulkan loader) that both headless Chromium and Dawn in
// Node can use. Used by the test runner, the bench, vitest's config and the CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter } from 'node:path';

const CHROMIUM_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser'];
const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** The browser Playwright drives: $CHROMIUM_PATH, else the Debian package's binary. */
export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export function swiftShaderIcd() {
  for (const dir of CHROMIUM_DIRS) {
    const icd = `${dir}/vk_swiftshader_icd.json`;
    if (existsSync(icd)) return { dir, icd };
  }
  return null;
}

function systemHasVulkanLoader() {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

function systemHasVulkanDriver() {
  return SYSTEM_ICD_DIRS.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json')));
}

/**
 * Environment variables that let Dawn (npm `webgpu`) find a Vulkan driver. Keeps what the user
 * set; uses SwiftShader when the machine has no Vulkan driver of its own or when
 * LORA_PLAYGROUND_VULKAN=swiftshader.
 */
export function dawnEnvironment(env = process.env) {
  const extra = {};
  const swift = swiftShaderIcd();
  const forceSwift = env.LORA_PLAYGROUND_VULKAN === 'swiftshader';
  if (swift && !env.VK_ICD_FILENAMES && (forceSwift || !systemHasVulkanDriver())) {
    extra.VK_ICD_FILENAMES = swift.icd;
  }
  if (swift && !systemHasVulkanLoader()) {
    const current = env.LD_LIBRARY_PATH ? env.LD_LIBRARY_PATH.split(delimiter) : [];
    if (!current.includes(swift.dir)) extra.LD_LIBRARY_PATH = [...current, swift.dir].join(delimiter);
  }
  return extra;
}

/** One line naming what is missing for the GPU tests, or null when all is there. */
export function missingForTests() {
  if (process.env.CHROMIUM_PATH && !existsSync(process.env.CHROMIUM_PATH)) {
    return `CHROMIUM_PATH is ${process.env.CHROMIUM_PATH}, which does not exist. Point it at a Chrome or Chromium binary, or unset it to use Debian's chromium package.`;
  }
  if (!chromiumPath()) {
    return 'No Chromium found. On Debian/Ubuntu: sudo apt-get install chromium ' +
      '(it also ships the SwiftShader Vulkan driver the GPU tests use), or set CHROMIUM_PATH to a Chrome binary.';
  }
  if (process.platform === 'linux' && !swiftShaderIcd() && !systemHasVulkanDriver()) {
    return 'No Vulkan driver found for WebGPU. On Debian/Ubuntu: sudo apt-get install chromium ' +
      '(it ships SwiftShader: /usr/lib/chromium/vk_swiftshader_icd.json).';
  }
  return null;
}
