// `--where EXPR`: filters runs by an expression over their config and columns, e.g.
// `model.hidden >= 100 and optimizer.lr < 1e-3` or `status == "finished" and test_mse < 0.1`.
// Evaluated by the restricted expression evaluator (util/expr.ts) on a per-run scope, never
// JavaScript eval. An unknown function or a name no run has is a user error.
import type { RunRecord } from '../store/runs.js';
import { UserError } from '../util/errors.js';
import { compileExpression, formatValue } from '../util/expr.js';

/** The names an expression can use for one run: the config tree (`model.hidden`, `optimizer.lr`,
 *  `task.seq_len`, `seed`, ...), the run's columns (`id`, `status`, `step`, `steps`, `params`,
 *  `engine`, `kernel`, `simd_width`, `host`, `diverged_step`; `run.task` and `run.model` are the choice names), and its
 *  final metrics (`test_mse`, `ms_per_step`, ...; also as `metrics.test_mse`). */
export function runScope(run: RunRecord): Record<string, unknown> {
  const columns = {
    id: run.id, status: run.status, task: run.task, model: run.model, seed: run.seed, step: run.step, steps: run.steps,
    params: run.params, diverged_step: run.divergedStep, backend: run.backend, engine: run.engine, kernel: run.kernel, simd_width: run.simdWidth, host: run.host,
    git_commit: run.git.commit, git_dirty: run.git.dirty,
  };
  const { task: _t, model: _m, ...topColumns } = columns;
  return { ...run.metrics, metrics: run.metrics, ...run.config, ...topColumns, backend: run.backend ?? run.config['backend'], run: columns };
}

function has(scope: Record<string, unknown>, path: string): boolean {
  let node: unknown = scope;
  for (const p of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, p)) return false;
    node = (node as Record<string, unknown>)[p];
  }
  return true;
}

/** Keeps the runs for which `expr` is true. A syntax error, an unknown function, a name no run
 *  has, or a result that is not true/false is a user error; a run that lacks a name the
 *  expression reads, or on whose values it fails (a null compared with a number), is left out. */
export function filterRuns(runs: RunRecord[], expr: string): RunRecord[] {
  const code = compileExpression(expr, `--where ${JSON.stringify(expr)}`);
  const scopes = runs.map(runScope);
  for (const p of code.names) {
    if (!scopes.some((s) => has(s, p))) {
      throw new UserError(`--where: no run has '${p}' (config keys such as model.hidden, optimizer.lr; columns such as status, seed; metrics such as test_mse)`);
    }
  }
  return runs.filter((run, i) => {
    const scope = scopes[i]!;
    if (!code.names.every((p) => has(scope, p))) return false;
    let v: unknown;
    try {
      v = code.evaluate(scope);
    } catch {
      return false;
    }
    if (typeof v !== 'boolean') throw new UserError(`--where ${JSON.stringify(expr)}: gives ${formatValue(v)} for run ${run.id}, not true or false`);
    return v;
  });
}
