// The one mathjs instance the report uses (statistics, --where expressions). Loaded through its
// CommonJS build, which starts about twice as fast as the ES-module tree of thousands of files.
import { createRequire } from 'node:module';

const mathjs = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
export const math = mathjs.create(mathjs.all!);
