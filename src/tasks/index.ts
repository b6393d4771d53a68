// The task registry: config name (`task.name`) -> factory. Unknown names fail with the list.
import type { TaskName } from './names.js';
import type { TaskFactory } from './task.js';
import { addingTask } from './adding.js';
import { permutedMnistTask, pixelMnistTask } from './pixel-mnist.js';
import { lmTask } from './language-model.js';
import { speechTask } from './speech.js';

export const TASKS = {
  adding: addingTask,
  pixel_mnist: pixelMnistTask,
  permuted_mnist: permutedMnistTask,
  lm: lmTask,
  speech: speechTask,
} satisfies Record<TaskName, TaskFactory>;

export type { TaskName } from './names.js';
