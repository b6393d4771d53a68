// Plain-loop softmax cross-entropy readout: the fallback when the native addon is not built, and
// (on Float64Arrays) the double-precision reference for finite-difference checks. One row at a
// time: logits, log-sum-exp, loss, then dlogits -> dX, dW, dc; never more than one row of logits.
import type { Floats } from './kernel.js';
import type { ReadoutArgs, ReadoutKernel } from './readout-kernel.js';

export function softmaxXent<F extends Floats>(a: ReadoutArgs<F>): number {
  const { N, F, V, X, W, c, y, weight, grads } = a;
  const z = new Float64Array(V);
  if (grads) {
    grads.dX.fill(0);
    grads.dW.fill(0);
    grads.dc.fill(0);
  }
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const xo = i * F;
    for (let v = 0; v < V; v++) z[v] = c[v]!;
    for (let f = 0; f < F; f++) {
      const x = X[xo + f]!;
      const wo = f * V;
      for (let v = 0; v < V; v++) z[v]! += x * W[wo + v]!;
    }
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, z[v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(z[v]! - m);
    const w = weight ? weight[i]! : 1;
    loss += w * (m + Math.log(s) - z[y[i]!]!);
    if (!grads) continue;
    // dz = w * (softmax - onehot); dX_i = dz W^T, dW += x_i^T dz, dc += dz
    for (let v = 0; v < V; v++) z[v] = (w * Math.exp(z[v]! - m)) / s;
    z[y[i]!]! -= w;
    for (let v = 0; v < V; v++) grads.dc[v]! += z[v]!;
    for (let f = 0; f < F; f++) {
      const x = X[xo + f]!;
      const wo = f * V;
      let d = 0;
      for (let v = 0; v < V; v++) {
        d += z[v]! * W[wo + v]!;
        grads.dW[wo + v]! += x * z[v]!;
      }
      grads.dX[xo + f] = d;
    }
  }
  return loss;
}

export const typescriptReadout: ReadoutKernel = { impl: 'typescript', xent: softmaxXent };
