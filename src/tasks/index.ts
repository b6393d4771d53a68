// The task registry: config name (`task.name`) -> factory. Unknown names fail with the list.
import type { TaskFactory } from './task.js';
import { addingTask } from './adding.js';

export const TASKS = {
  adding: addingTask,
} satisfies Record<string, TaskFactory>;

export type TaskName = keyof typeof TASKS;
