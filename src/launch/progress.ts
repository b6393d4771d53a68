// Sweep progress on stderr: one overall bar on a terminal (jobs done/total, running, failed,
// pruned, ETA) with a line above it per finished job; plain lines otherwise (CI logs, files).
// Failures are shown the moment they arrive. A job the scheduler pruned counts as done, apart from
// the finished ones, until it is promoted and runs again. The summary table at the end is the
// command's business.
import cliProgress from 'cli-progress';
import { fmtMetrics } from '../cli/format.js';
import type { JobOutcome } from './local.js';

export interface SweepProgress {
  /** `resumed`: the job's run continues from a checkpoint (interrupted before, or promoted). */
  started(idx: number, resumed?: boolean): void;
  finished(o: JobOutcome): void;
  /** A job pruned before this launch (a resumed sweep): done for now, may be promoted. */
  paused(idx: number): void;
  stop(): void;
}

const secs = (s: number) => (s >= 90 ? `${Math.round(s / 60)}m` : `${s < 10 ? s.toFixed(1) : Math.round(s)}s`);

export function sweepProgress(opts: {
  /** Jobs this launch runs or may promote (skipped ones are reported before it starts). */
  total: number;
  /** What tells job `idx` apart from the others, e.g. "model=lstm seed=1". */
  label: (idx: number) => string;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}): SweepProgress {
  const stream = opts.stream ?? process.stderr;
  const t0 = Date.now();
  /** The latest outcome of each job that is done (for now). */
  const outcome = new Map<number, JobOutcome['status']>();
  let ran = 0;
  const running = new Set<number>();
  const count = (s: JobOutcome['status']) => [...outcome.values()].filter((v) => v === s).length;
  const eta = () => {
    const done = outcome.size;
    if (ran === 0 || done === 0) return '-';
    const left = opts.total - done;
    const perJob = (Date.now() - t0) / 1000 / done;
    // jobs run side by side, so elapsed time per completed job already includes the parallelism
    return left <= 0 ? '0s' : secs(perJob * left);
  };
  const line = (o: JobOutcome) => {
    const where = o.runId !== null ? ` (run ${o.runId}, ${secs(o.seconds)})` : '';
    const what =
      o.status === 'failed' ? `FAILED: ${o.error}`
      : o.status === 'skipped' ? `already done (run ${o.runId})`
      : o.status === 'pruned' ? `pruned at step ${o.prune?.rung ?? '?'}${where}: ${o.prune?.reason ?? ''}`
      : o.status === 'diverged' || (o.status === 'interrupted' && o.error) ? `${o.status}${where}: ${o.error}`
      : `${o.status}${where}${Object.keys(o.metrics).length ? `: ${fmtMetrics(pickTest(o.metrics))}` : ''}`;
    return `job ${o.idx} ${what}  [${opts.label(o.idx)}]`;
  };
  const counts = () => `${running.size} running, ${count('failed')} failed${count('pruned') ? `, ${count('pruned')} pruned` : ''}`;

  if (opts.quiet) return { started() {}, finished() {}, paused() {}, stop() {} };
  const start = (idx: number) => {
    outcome.delete(idx); // a promoted job is running again
    running.add(idx);
  };
  const end = (o: JobOutcome) => {
    running.delete(o.idx);
    outcome.set(o.idx, o.status);
    if (o.status !== 'skipped') ran++;
  };
  const paused = (idx: number) => void outcome.set(idx, 'pruned');
  if (stream.isTTY) {
    const multi = new cliProgress.MultiBar(
      { stream, format: 'jobs {value}/{total} |{bar}| {counts} | ETA {left}', barsize: 24, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const bar = multi.create(opts.total, 0, { counts: counts(), left: '-' });
    const update = () => bar.update(outcome.size, { counts: counts(), left: eta() });
    return {
      started(idx, resumed) {
        start(idx);
        if (resumed) multi.log(`job ${idx} continues from its checkpoint  [${opts.label(idx)}]\n`);
        update();
      },
      finished(o) {
        end(o);
        multi.log(`${line(o)}\n`);
        update();
      },
      paused(idx) {
        paused(idx);
        update();
      },
      stop() {
        multi.stop();
      },
    };
  }
  return {
    started(idx, resumed) {
      start(idx);
      if (resumed) stream.write(`job ${idx} continues from its checkpoint  [${opts.label(idx)}]\n`);
    },
    finished(o) {
      end(o);
      stream.write(`[${outcome.size}/${opts.total} done, ${counts()}, eta ${eta()}] ${line(o)}\n`);
    },
    paused,
    stop() {},
  };
}

/** Validation and test metrics of the last evaluation when there are any (what ranks and what is
 *  reported; `irnn sweeps show` gives the best validation evaluation), else everything. */
function pickTest(m: Record<string, number>): Record<string, number> {
  const test = Object.entries(m).filter(([k]) => k.startsWith('valid_') || k.startsWith('test_'));
  return test.length ? Object.fromEntries(test) : m;
}
