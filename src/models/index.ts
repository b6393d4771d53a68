// Builds a model from the `model.*` config and the task's sizes. Cell types and recurrent
// initialisers are registries (models/recurrence.ts GATES, models/initializers.ts INITIALIZERS).
import type { Config } from '../config/schema.js';
import type { Task } from '../tasks/task.js';
import { UserError } from '../util/errors.js';
import type { InitName } from './initializers.js';
import type { CellKind, Engine } from './recurrence.js';
import { SequenceModel } from './sequence.js';

export { SequenceModel } from './sequence.js';

export function buildModel(opts: { config: Config; task: Task }): SequenceModel {
  const { config, task } = opts;
  const m = config.model;
  if (task.carryState && m.bidirectional) {
    throw new UserError(`model.bidirectional=true cannot be used with task ${task.name}: it carries state forward across windows`);
  }
  const embed = task.input.kind === 'tokens' ? config.task['embed_size'] : undefined;
  return new SequenceModel({
    cell: m.cell as CellKind,
    hidden: m.hidden,
    layers: m.layers,
    bidirectional: m.bidirectional,
    init: m.init as InitName,
    identityScale: m.identity_scale,
    inputStd: m.input_std ?? 0.001,
    recurrentStd: m.recurrent_std,
    forgetBias: m.forget_bias,
    engine: m.engine as Engine,
    input: task.input,
    embedSize: typeof embed === 'number' ? embed : undefined,
    outputSize: task.outputSize,
    mode: task.mode,
    seed: config.seed,
  });
}
