// The memory estimate that refuses impossible sizes before anything is loaded or stored: it
// names the keys behind the largest part, grows with sequence length, batch, width and
// vocabulary as the shapes say, and lets every paper preset through on a 16 GiB machine.
import test from 'ava';
import { composeConfig } from '../src/config/index.js';
import { expandSweep } from '../src/config/sweep.js';
import { groupOptions } from '../src/config/compose.js';
import { checkMemory, estimateMemory, peakMemory } from '../src/config/memory.js';
import type { Config } from '../src/config/schema.js';
import { isUserError } from '../src/util/errors.js';

const GiB = 2 ** 30;
const cfg = (...overrides: string[]) => composeConfig({ overrides }).config;
const part = (c: Config, what: RegExp) => estimateMemory(c).find((p) => what.test(p.what))!.bytes;

test('sizes no machine holds are refused before anything runs, naming the key and the estimate', (t) => {
  for (const [o, pattern] of [
    ['task.seq_len=1e12', /^task\.seq_len=1000000000000, .*: the run would need about [\d.e+]+ PiB of memory \(this machine has [\d.]+ GiB\); the largest part is /],
    ['model.hidden=1000000', /^model\.hidden=1000000, .*TiB of memory.*parameters, gradients and optimizer state/],
    ['train.batch_size=100000000', /^train\.batch_size=100000000, .*activations of a training step/],
    ['task.test_size=10000000000', /^task\.test_size=10000000000, .*the dataset/],
  ] as const) {
    const e = t.throws(() => cfg(o));
    t.true(isUserError(e), o);
    t.regex(e!.message, pattern);
  }
  const e = t.throws(() => cfg('task=lm_words', 'task.vocab_size=20000000'));
  t.regex(e!.message, /^task\.vocab_size=20000000, /);
});

test('the estimate grows with the shapes: linear in sequence length and batch, quadratic in width', (t) => {
  const base = cfg('model=lstm', 'task.seq_len=100');
  const act = /activations of a training step/;
  t.is(part(cfg('model=lstm', 'task.seq_len=200'), act), 2 * part(base, act));
  t.is(part(cfg('model=lstm', 'task.seq_len=100', 'train.batch_size=64'), act), 4 * part(base, act));
  const params = /parameters/;
  const ratio = part(cfg('model=lstm', 'model.hidden=400'), params) / part(cfg('model=lstm', 'model.hidden=100'), params);
  t.true(ratio > 14 && ratio < 16, String(ratio)); // 4H(I+H+2) grows as H^2 once H >> I
  const readout = /readout/;
  t.is(part(cfg('task=lm_words', 'task.vocab_size=20000'), readout), 2 * part(cfg('task=lm_words', 'task.vocab_size=10000'), readout));
  // The unrolled engine keeps its per-step tensors: more than the fused kernels' buffers.
  t.true(part(cfg('model.engine=unrolled'), act) > part(cfg(), act));
});

test('the tensor heap of the WebAssembly backend is checked on its own', (t) => {
  const c = cfg('task=lm_words');
  const roomy = { total: 1024 * GiB, tensors: 1024 * GiB };
  t.notThrows(() => checkMemory(c, roomy));
  const e = t.throws(() => checkMemory(c, { ...roomy, tensors: 0.1 * GiB }));
  t.regex(e!.message, /of tensor memory \(the WebAssembly heap holds at most 102\.4 MiB\); the largest part is the readout/);
  t.throws(() => checkMemory(c, { ...roomy, total: peakMemory(c) - 1 }), { message: /of memory \(this machine has/ });
  t.notThrows(() => checkMemory(c, { ...roomy, total: peakMemory(c) + 1 }));
});

test('every job of every paper preset fits a 16 GiB machine with the 4 GiB wasm heap', (t) => {
  const budget = { total: 16 * GiB, tensors: 4 * GiB };
  let jobs = 0;
  for (const preset of groupOptions('experiment')) {
    for (const overrides of expandSweep({ overrides: [`+experiment=${preset}`] })) {
      const c = composeConfig({ overrides }).config;
      t.notThrows(() => checkMemory(c, budget), `${preset}: ${overrides.join(' ')}`);
      jobs++;
    }
  }
  t.true(jobs > 600, String(jobs));
});
