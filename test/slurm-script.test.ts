// The SLURM batch script without a cluster (`irnn sweep launcher=slurm ... --dry-run`): a value of
// launcher.partition, time, mem, cpus_per_task or extra that is not in SLURM's format is one line
// on stderr and exit code 2 before anything is written (a newline can never start a line of its
// own in the script), and paths are quoted, so a folder with a space stays one argument.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { irnn, tmpDb } from './sweep-helpers.js';

const TINY = ['task.seq_len=20', 'model.hidden=8', 'task.test_size=50', 'train.steps=2'];

// A newline or another control character inside a quoted value (the override grammar keeps what a
// quoted string holds, as Hydra does; a YAML file could hold the same), and values off SLURM's formats.
const BAD: Array<[string, RegExp]> = [
  ['launcher.partition="debug\n#SBATCH --dry-run"', /launcher\.partition: expected a partition name/],
  ['launcher.partition=a b', /launcher\.partition: expected a partition name/],
  ['launcher.time="1:00:00\nrm -rf x"', /launcher\.time: expected minutes, MM:SS, HH:MM:SS/],
  ['launcher.time=soon', /launcher\.time: expected minutes/],
  ['launcher.mem=2G --exclusive', /launcher\.mem: expected a size in megabytes/],
  ['launcher.cpus_per_task=0', /launcher\.cpus_per_task: expected a whole number of CPUs/],
  ['launcher.extra="--qos=long\x07"', /launcher\.extra: expected sbatch options/],
  ["launcher.extra='account=lab'", /launcher\.extra: expected sbatch options/],
  ['launcher.scratch="/local/x\ny"', /launcher\.scratch: a path without quotes/],
];

for (const [override, re] of BAD) {
  test.serial(`a bad SLURM value is refused before anything is written: ${JSON.stringify(override)}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'irnn-slurm-script-'));
    const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, override, ...TINY, '--db', tmpDb(), '--dry-run']);
    t.is(r.code, 2, r.stdout + r.stderr);
    t.regex(r.stderr, new RegExp(`^Error: job 1 \\[.*\\]: ${re.source}`));
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.notRegex(r.stdout, /#SBATCH/);
    t.deepEqual(readdirSync(dir), []);
  });
}

test('good SLURM values pass as they are, and the log path is quoted', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'irnn-slurm-script-')), 'with space');
  const r = await irnn(['sweep', 'launcher=slurm', `launcher.dir=${dir}`, 'launcher.partition=cpu', 'launcher.time=1-02:30', 'launcher.mem=512',
    'launcher.cpus_per_task=4', "launcher.extra='--account=lab --qos=long'", ...TINY, '--db', tmpDb(), '--dry-run']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^#SBATCH --partition=cpu$/m);
  t.regex(r.stdout, /^#SBATCH --time=1-02:30$/m);
  t.regex(r.stdout, /^#SBATCH --mem=512$/m);
  t.regex(r.stdout, /^#SBATCH --cpus-per-task=4$/m);
  t.regex(r.stdout, /^#SBATCH --account=lab\n#SBATCH --qos=long$/m);
  t.true(r.stdout.includes(`#SBATCH --output="${dir}/sweep-ID-TOKEN/logs/%A_%a.out"\n`), r.stdout);
  t.true(r.stdout.includes(`worker --slurm '${dir}/sweep-ID-TOKEN/array-1.tasks'`), r.stdout);
});
