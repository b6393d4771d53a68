// Keys added to the config after runs were stored, each with the value that leaves every earlier
// run's result as it was. Such a key is left out of a run's hash at that value (config/index.ts),
// so runs stored before it existed keep their identity and sweeps still find them done; and a
// stored config that lacks it reads as having that value (reports group old and new runs alike).
// A run that exploded under the default diverge_factor would have been recorded diverged; the
// reports judge stored runs by that rule (report/stats.ts, judgeExplosions).
export const ADDED_KEYS: Readonly<Record<string, unknown>> = {
  'train.patience': null,
  'train.plateau': null,
  'train.plateau_min_improvement': 0.01,
  'train.diverge_factor': 1e6,
  // speech: the synthetic corpus, as every speech run before TIMIT could be read; lm and speech: no path
  'task.source': 'synthetic',
  'task.path': null,
  'task.timit_labels': 61,
};

/** A flattened config's value of `key`, reading a key the run predates as its neutral value. */
export function configValue(flat: Record<string, unknown>, key: string): unknown {
  return key in flat ? flat[key] : key in ADDED_KEYS ? ADDED_KEYS[key] : undefined;
}
