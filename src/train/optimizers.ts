// The optimizer registry (`optimizer.name`) and global-norm gradient clipping.
// Optimizers are plain tfjs ones; clipping scales all gradients by one factor when their joint
// L2 norm exceeds `optimizer.clip` (Pascanu et al. 2013), as the paper does.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { withArrays } from '../kernels/buffers.js';
import { sumSquares } from '../kernels/optim.js';
import { FusedAdam } from './adam.js';

type OptCfg = Config['optimizer'];
const num = (cfg: OptCfg, key: string, fallback: number): number =>
  typeof cfg[key] === 'number' ? (cfg[key] as number) : fallback;

export const OPTIMIZERS = {
  sgd: (c: OptCfg) => (num(c, 'momentum', 0) > 0 ? tf.train.momentum(c.lr, num(c, 'momentum', 0)) : tf.train.sgd(c.lr)),
  rmsprop: (c: OptCfg) => tf.train.rmsprop(c.lr, num(c, 'decay', 0.9), num(c, 'momentum', 0), num(c, 'epsilon', 1e-6)),
  adam: (c: OptCfg) => new FusedAdam(c.lr, num(c, 'beta1', 0.9), num(c, 'beta2', 0.999), num(c, 'epsilon', 1e-8)),
} satisfies Record<string, (cfg: OptCfg) => tf.Optimizer>;

/** The learning rate at step t (0-based) under the config's schedule: constant, or halving every
 *  `lr_half_life` steps. */
export function learningRate(cfg: OptCfg, t: number): number {
  const h = cfg.lr_half_life;
  return typeof h === 'number' ? cfg.lr * 2 ** (-t / h) : cfg.lr;
}

/** Sets a tfjs optimizer's rate: SGD and momentum cache it as a tensor (setLearningRate); Adam and
 *  RMSProp read the field at every update. */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as tf.Optimizer & { learningRate?: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Scales gradients to a global L2 norm of at most `clip` (null: no clipping). Returns the
 *  gradients to apply (new tensors only when scaled; the caller disposes them with the originals)
 *  and the norm before clipping. Reading the norm costs one small sync but saves a multiply per
 *  variable on the common step where the norm is within bounds. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, clip: number | null): { grads: tf.NamedTensorMap; norm: number } {
  const names = Object.keys(grads);
  // Summed in float64 over the gradient values rather than with 2N + 2 tfjs ops: gradients are
  // small next to the work that made them, and op dispatch dominates short recurrences.
  // The values are read in place (on wasm, views of the heap): no copy of the gradients.
  let sq = 0;
  withArrays(names.map((n) => grads[n]!), [], (gs) => {
    for (const g of gs) sq += sumSquares(g);
  });
  const norm = Math.sqrt(sq);
  if (clip === null || !(norm > clip)) return { grads, norm };
  const factor = clip / norm;
  return { grads: Object.fromEntries(names.map((n) => [n, tf.mul(grads[n]!, factor)])), norm };
}
