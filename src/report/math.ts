// The mathjs instance of the report's statistics (mean, standard deviation, median over seeds),
// called from code only. User expressions (--where) never reach it: they go through the
// restricted evaluator in util/expr.ts. Loaded through mathjs's CommonJS build, which starts about
// twice as fast as the ES-module tree of thousands of files.
import { createRequire } from 'node:module';

const mathjs = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
export const math = mathjs.create(mathjs.all!);
