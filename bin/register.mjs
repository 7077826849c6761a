// Lets Node run the TypeScript engine directly: WGSL `?raw` imports, then tsx for .ts files.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./wgsl-loader.mjs', import.meta.url);
registerTsx();
