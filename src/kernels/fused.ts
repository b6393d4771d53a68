// The fused engine: tf.customGrad around one kernel call for the whole sequence, forward and
// backward through time, so the rest of the model stays plain tfjs. Tensors in and out only
// here; the kernels (native or TypeScript) see flat arrays. No tensor is kept between calls.
import * as tf from '@tensorflow/tfjs';
import type { RecurrenceInput, RecurrenceOutput } from './contract.js';
import { giveBack, takeBuffer, withArrays } from './buffers.js';
import { activeKernel } from './index.js';

export function fusedRecurrence(input: RecurrenceInput): RecurrenceOutput {
  const { cell, W, h0 } = input;
  const proj = input.input; // the kernel also projects the input
  const [T, B, I] = proj.x.shape;
  const [H, GH] = W.shape;
  const kernel = activeKernel();
  const lstm = cell === 'lstm';
  const gru = cell === 'gru';
  // Optional inputs join the differentiated list only when given; absent ones are zeros.
  const bh = gru ? input.bh : undefined;
  const c0 = lstm ? input.c0 : undefined;
  const inputs: tf.Tensor[] = [proj.x, proj.U, proj.b, W, h0, ...(bh ? [bh] : []), ...(c0 ? [c0] : [])];
  const cT = lstm ? new Float32Array(B * H) : undefined;

  const run = tf.customGrad(() => {
    // What the backward pass needs, copied out of the tensors: by then the model may have
    // disposed h0 and c0, and (wasm) the heap may have moved.
    const saved = {
      W: takeBuffer(H * GH),
      h0: takeBuffer(B * H),
      c0: lstm ? takeBuffer(B * H).fill(0) : undefined,
      states: takeBuffer(T * B * H),
      aux: takeBuffer(kernel.savedLength({ cell, T, B, H })),
      inp: takeBuffer(T * B * I),
      U: takeBuffer(I * GH),
    };
    const [value] = withArrays(inputs, [[T, B, H]], (ins, [states]) => {
      const [inp, U, b, w, h, ...opt] = ins;
      saved.inp.set(inp!);
      saved.U.set(U!);
      saved.W.set(w!);
      saved.h0.set(h!);
      const bhArr = bh ? opt.shift() : gru ? new Float32Array(GH) : undefined;
      if (c0) saved.c0!.set(opt.shift()!);
      kernel.forward({
        cell, T, B, H, W: saved.W, bh: bhArr, h0: saved.h0, c0: saved.c0, states: states!, aux: saved.aux, cT,
        proj: { I, inp: saved.inp, U: saved.U, b: b! },
      });
      saved.states.set(states!);
    });

    let released = false;
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      if (released) throw new Error('fused recurrence: a second gradient of the same forward pass is not supported');
      const shapes = [[T, B, I], [I, GH], [GH], [H, GH], [B, H], ...(bh ? [[GH]] : []), ...(c0 ? [[B, H]] : [])];
      const grads = withArrays([dy], shapes, ([dstates], [dinp, dU, db, dW, dh0, ...opt]) => {
        const dbh = gru ? (bh ? opt.shift() : new Float32Array(GH)) : undefined;
        const dc0 = lstm ? (c0 ? opt.shift() : new Float32Array(B * H)) : undefined;
        // The gradient-flow probe (diagnostics only): per-step norms from this backward pass.
        const rec = input.record;
        kernel.backward({
          cell, T, B, H, ...saved, dstates: dstates!, dW: dW!, dbh, dh0: dh0!, dc0, hNorm: rec?.hNorm, cNorm: rec?.cNorm,
          proj: { I, inp: saved.inp, U: saved.U, dinp: dinp!, dU: dU!, db: db! },
        });
      });
      released = true;
      giveBack(...Object.values(saved));
      return grads;
    };
    return { value: value!, gradFunc };
  });

  const states = run(...inputs) as tf.Tensor3D;
  return { states, cT: cT && tf.tensor2d(cT, [B, H]) };
}
