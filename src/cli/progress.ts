// Training progress on stderr: a live bar on a terminal (step, loss, steps/s, ETA), plain
// periodic lines otherwise (CI logs, files). stdout stays free for results and --json.
import cliProgress from 'cli-progress';
import type { TrainEvents } from '../train/run.js';
import { fmtMetrics, fmtNum } from './format.js';

export interface Progress extends TrainEvents {
  stop(): void;
}

export function progressReporter(opts: { logEvery: number; quiet?: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { stop() {} };
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | null = null;
    let lastEval = '';
    return {
      onStart(e) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: 'step {value}/{total} |{bar}| loss {loss} | {sps} steps/s | ETA {eta_formatted} {eval}',
            barsize: 24,
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.steps, e.step, { loss: '-', sps: '-', eval: '' });
      },
      onStep(e) {
        bar?.update(e.step, { loss: fmtNum(e.loss), sps: e.stepsPerSec.toFixed(1), eval: lastEval });
      },
      onEval(e) {
        lastEval = `| ${fmtMetrics(e.metrics, ['ms_per_step', 'steps_per_sec', 'cpu_seconds', 'train_loss'])}`;
        bar?.update(e.step, { eval: lastEval });
      },
      stop() {
        bar?.stop();
      },
    };
  }
  const started = Date.now();
  let total = 0;
  return {
    onStart(e) {
      total = e.steps;
    },
    onStep(e) {
      if (e.step % opts.logEvery !== 0) return;
      const eta = e.stepsPerSec > 0 ? (total - e.step) / e.stepsPerSec : NaN;
      stream.write(`step ${e.step}/${total} loss ${fmtNum(e.loss)} ${e.stepsPerSec.toFixed(1)} steps/s eta ${Number.isFinite(eta) ? `${Math.round(eta)}s` : '-'}\n`);
    },
    onEval(e) {
      stream.write(`eval step ${e.step}: ${fmtMetrics(e.metrics)} (${Math.round((Date.now() - started) / 1000)}s)\n`);
    },
    stop() {},
  };
}
