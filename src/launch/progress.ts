// Sweep progress on stderr: one overall bar on a terminal (jobs done/total, running, failed, ETA)
// with a line above it per finished job; plain lines otherwise (CI logs, files). Failures are
// shown the moment they arrive. The summary table at the end is the command's business.
import cliProgress from 'cli-progress';
import { fmtMetrics } from '../cli/format.js';
import type { JobOutcome } from './local.js';

export interface SweepProgress {
  started(idx: number): void;
  finished(o: JobOutcome): void;
  stop(): void;
}

const secs = (s: number) => (s >= 90 ? `${Math.round(s / 60)}m` : `${s < 10 ? s.toFixed(1) : Math.round(s)}s`);

export function sweepProgress(opts: {
  /** Jobs this launch runs (skipped ones are reported before it starts). */
  total: number;
  /** What tells job `idx` apart from the others, e.g. "model=lstm seed=1". */
  label: (idx: number) => string;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}): SweepProgress {
  const stream = opts.stream ?? process.stderr;
  const t0 = Date.now();
  let done = 0;
  let failed = 0;
  let ran = 0;
  const running = new Set<number>();
  const eta = () => {
    if (ran === 0) return '-';
    const left = opts.total - done;
    const perJob = (Date.now() - t0) / 1000 / done;
    // jobs run side by side, so elapsed time per completed job already includes the parallelism
    return left === 0 ? '0s' : secs(perJob * left);
  };
  const line = (o: JobOutcome) => {
    const where = o.runId !== null ? ` (run ${o.runId}, ${secs(o.seconds)})` : '';
    const what =
      o.status === 'failed' ? `FAILED: ${o.error}`
      : o.status === 'skipped' ? `already done (run ${o.runId})`
      : o.status === 'diverged' || (o.status === 'interrupted' && o.error) ? `${o.status}${where}: ${o.error}`
      : `${o.status}${where}${Object.keys(o.metrics).length ? `: ${fmtMetrics(pickTest(o.metrics))}` : ''}`;
    return `job ${o.idx} ${what}  [${opts.label(o.idx)}]`;
  };

  if (opts.quiet) return { started() {}, finished() {}, stop() {} };
  const count = (o: JobOutcome) => {
    running.delete(o.idx);
    done++;
    if (o.status !== 'skipped') ran++;
    if (o.status === 'failed') failed++;
  };
  if (stream.isTTY) {
    const multi = new cliProgress.MultiBar(
      { stream, format: 'jobs {value}/{total} |{bar}| {running} running, {failed} failed | ETA {left}', barsize: 24, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const bar = multi.create(opts.total, 0, { running: 0, failed: 0, left: '-' });
    const update = () => bar.update(done, { running: running.size, failed, left: eta() });
    return {
      started(idx) {
        running.add(idx);
        update();
      },
      finished(o) {
        count(o);
        multi.log(`${line(o)}\n`);
        update();
      },
      stop() {
        multi.stop();
      },
    };
  }
  return {
    started(idx) {
      running.add(idx);
    },
    finished(o) {
      count(o);
      stream.write(`[${done}/${opts.total} done, ${running.size} running, ${failed} failed, eta ${eta()}] ${line(o)}\n`);
    },
    stop() {},
  };
}

/** Validation and test metrics of the last evaluation when there are any (what ranks and what is
 *  reported; `irnn sweeps show` gives the best validation evaluation), else everything. */
function pickTest(m: Record<string, number>): Record<string, number> {
  const test = Object.entries(m).filter(([k]) => k.startsWith('valid_') || k.startsWith('test_'));
  return test.length ? Object.fromEntries(test) : m;
}
