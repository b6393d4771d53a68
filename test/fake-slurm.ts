// Fake SLURM client commands for tests without a cluster (not a test file itself): `sbatch`,
// `squeue` and `scontrol` as shell scripts in a temporary folder put first on PATH. sbatch starts
// every array task of a batch script at once in the background, as SLURM would (with
// SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID, output to the script's --output), unless `hold` is
// on: then it records the submission and the tasks never run, so they are gone from squeue at
// once (a task lost before it wrote a shard). squeue lists the tasks whose process is alive.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SBATCH = String.raw`#!/bin/bash
F="$(dirname "$0")"
script="${'$'}{@: -1}"
n=$(( $(cat "$F/next" 2>/dev/null || echo 100) + 1 )); echo "$n" > "$F/next"
last=$(sed -n 's/^#SBATCH --array=0-\([0-9]*\).*/\1/p' "$script")
out=$(sed -n 's/^#SBATCH --output="\(.*\)"$/\1/p' "$script")
if [ ! -e "$F/hold" ]; then
  for i in $(seq 0 "$last"); do
    log=${'$'}{out//%A/$n}; log=${'$'}{log//%a/$i}
    SLURM_ARRAY_JOB_ID=$n SLURM_ARRAY_TASK_ID=$i setsid bash "$script" > "$log" 2>&1 < /dev/null &
    echo $! > "$F/task-${'$'}{n}_$i.pid"
  done
fi
echo "$n"
`;

const SQUEUE = String.raw`#!/bin/bash
F="$(dirname "$0")"
for p in "$F"/task-*.pid; do
  [ -e "$p" ] || continue
  t=$(basename "$p" .pid)
  kill -0 "$(cat "$p")" 2>/dev/null && echo "${'$'}{t#task-}|RUNNING"
done
exit 0
`;

export interface FakeSlurm {
  /** The environment whose PATH finds the fake commands first. */
  env: NodeJS.ProcessEnv;
  /** On: submissions are recorded, and their tasks never run. */
  hold(on: boolean): void;
  remove(): void;
}

export function fakeSlurm(): FakeSlurm {
  const dir = mkdtempSync(join(tmpdir(), 'irnn-fake-slurm-'));
  for (const [name, text] of Object.entries({ sbatch: SBATCH, squeue: SQUEUE, scontrol: '#!/bin/bash\necho "MaxArraySize = 1001"\n' })) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  return {
    env: { ...process.env, PATH: `${dir}:${process.env['PATH'] ?? ''}` },
    hold(on) {
      if (on) writeFileSync(join(dir, 'hold'), '');
      else if (existsSync(join(dir, 'hold'))) rmSync(join(dir, 'hold'));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
