// The optimizer and clipping cases (optimizer-cases.ts) on the TypeScript loops of
// src/kernels/optim.ts, the fallback where the native addon is not built.
import { optimizerCases } from './optimizer-cases.js';

process.env['IRNN_KERNEL'] = 'typescript'; // read when the first pass runs, after the imports
optimizerCases('typescript');
