// Which config keys define the problem a run solves, per task name (config `task.name`): runs that
// differ in one of them answer different questions (the adding problem at T = 150 and at T = 400,
// pixel MNIST read in 784 steps or pooled to 49, speech at two noise levels) and are never ranked
// against each other; every other key is a setting to choose between. No data is loaded here, so
// reports and listings can use it.
export const PROBLEM_KEYS: Record<string, readonly string[]> = {
  adding: ['task.seq_len'],
  pixel_mnist: ['task.source', 'task.data_dir', 'task.downsample'],
  permuted_mnist: ['task.source', 'task.data_dir', 'task.downsample', 'task.permutation_seed'],
  lm: ['task.level', 'task.corpus', 'task.corpus_dir', 'task.path', 'task.vocab_size'],
  speech: [
    'task.source', 'task.path', 'task.timit_labels', 'task.data_seed', 'task.train_utterances', 'task.valid_utterances', 'task.test_utterances', 'task.train_speakers',
    'task.valid_speakers', 'task.test_speakers', 'task.min_words', 'task.max_words', 'task.snr_db', 'task.noise',
  ],
};
