// The task names a config may give (`task.name`). A leaf module: the config validates against it
// without loading any task or data module; the registry (index.ts) implements exactly these.
export const TASK_NAMES = ['adding', 'pixel_mnist', 'permuted_mnist', 'lm', 'speech'] as const;
export type TaskName = (typeof TASK_NAMES)[number];
