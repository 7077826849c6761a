// Entry of the CLI bundled for a machine without Node's toolchain (scripts/device-bench.mjs packs
// it with Vite): the same commands as bin/lora-playground.mjs, whose environment set-up run.sh does.
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
// Dawn may keep the event loop alive after the device is gone: exit explicitly.
process.exit(code);
