// The fused engine: tf.customGrad around one kernel call for the whole sequence, forward and
// backward through time, so the rest of the model stays plain tfjs. Tensors in and out only
// here; the kernels (native or TypeScript) see flat arrays. No tensor is kept between calls.
import * as tf from '@tensorflow/tfjs';
import type { RecurrenceInput, RecurrenceOutput } from '../models/recurrence.js';
import { giveBack, takeBuffer, withArrays } from './buffers.js';
import { activeKernel } from './index.js';
import { AUX_WIDTH } from './kernel.js';

export function fusedRecurrence(input: RecurrenceInput): RecurrenceOutput {
  const { cell, W, h0 } = input;
  const proj = input.input; // when given, the kernel also projects the input
  const [T, B] = (proj ? proj.x : input.xProj!).shape;
  const [H, GH] = W.shape;
  const I = proj ? proj.x.shape[2] : 0;
  const kernel = activeKernel();
  const lstm = cell === 'lstm';
  const gru = cell === 'gru';
  // Optional inputs join the differentiated list only when given; absent ones are zeros.
  const bh = gru ? input.bh : undefined;
  const c0 = lstm ? input.c0 : undefined;
  const head: tf.Tensor[] = proj ? [proj.x, proj.U, proj.b] : [input.xProj!];
  const inputs: tf.Tensor[] = [...head, W, h0, ...(bh ? [bh] : []), ...(c0 ? [c0] : [])];
  const cT = lstm ? new Float32Array(B * H) : undefined;

  const run = tf.customGrad(() => {
    // What the backward pass needs, copied out of the tensors: by then the model may have
    // disposed h0 and c0, and (wasm) the heap may have moved.
    const saved = {
      W: takeBuffer(H * GH),
      h0: takeBuffer(B * H),
      c0: lstm ? takeBuffer(B * H).fill(0) : undefined,
      states: takeBuffer(T * B * H),
      aux: takeBuffer(T * B * AUX_WIDTH[cell] * H),
      inp: proj ? takeBuffer(T * B * I) : undefined,
      U: proj ? takeBuffer(I * GH) : undefined,
    };
    const [value] = withArrays(inputs, [[T, B, H]], (ins, [states]) => {
      const [x, b] = proj ? [takeBuffer(T * B * GH), ins[2]!] : [ins[0]!, undefined];
      if (proj) saved.inp!.set(ins[0]!), saved.U!.set(ins[1]!);
      const [w, h, ...opt] = ins.slice(head.length);
      saved.W.set(w!);
      saved.h0.set(h!);
      const bhArr = bh ? opt.shift() : gru ? new Float32Array(GH) : undefined;
      if (c0) saved.c0!.set(opt.shift()!);
      kernel.forward({
        cell, T, B, H, x, W: saved.W, bh: bhArr, h0: saved.h0, c0: saved.c0, states: states!, aux: saved.aux, cT,
        proj: proj ? { I, inp: saved.inp!, U: saved.U!, b: b! } : undefined,
      });
      saved.states.set(states!);
      if (proj) giveBack(x);
    });

    let released = false;
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      if (released) throw new Error('fused recurrence: a second gradient of the same forward pass is not supported');
      const headShapes = proj ? [[T, B, I], [I, GH], [GH]] : [[T, B, GH]];
      const shapes = [...headShapes, [H, GH], [B, H], ...(bh ? [[GH]] : []), ...(c0 ? [[B, H]] : [])];
      const grads = withArrays([dy], shapes, ([dstates], outs) => {
        const [dHead, [dW, dh0, ...opt]] = [outs.slice(0, headShapes.length), outs.slice(headShapes.length)];
        const dx = proj ? takeBuffer(T * B * GH) : dHead[0]!;
        const dbh = gru ? (bh ? opt.shift() : new Float32Array(GH)) : undefined;
        const dc0 = lstm ? (c0 ? opt.shift() : new Float32Array(B * H)) : undefined;
        kernel.backward({
          cell, T, B, H, ...saved, dstates: dstates!, dx, dW: dW!, dbh, dh0: dh0!, dc0,
          proj: proj ? { I, inp: saved.inp!, U: saved.U!, dinp: dHead[0]!, dU: dHead[1]!, db: dHead[2]! } : undefined,
        });
        if (proj) giveBack(dx);
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
