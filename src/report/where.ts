// `--where EXPR`: filters runs by a mathjs expression over their config and columns, e.g.
// `model.hidden >= 100 and optimizer.lr < 1e-3` or `status == "finished" and test_mse < 0.1`.
// Evaluated by mathjs's own parser on a per-run scope (never JavaScript eval).
import type { MathNode } from 'mathjs';
import type { RunRecord } from '../store/runs.js';
import { UserError } from '../util/errors.js';
import { math } from './math.js';

/** `==` / `!=` that also compare strings and nulls (mathjs converts strings to numbers). */
const same = (a: unknown, b: unknown): boolean =>
  typeof a === 'string' || typeof b === 'string' || a === null || b === null || a === undefined || b === undefined
    ? a === b
    : (math.equal(a as number, b as number) as boolean);
math.import({ __same: (a: unknown, b: unknown) => same(a, b), __differ: (a: unknown, b: unknown) => !same(a, b) }, { override: true });

/** The names an expression can use for one run: the config tree (`model.hidden`, `optimizer.lr`,
 *  `task.seq_len`, `seed`, ...), the run's columns (`id`, `status`, `step`, `steps`, `params`,
 *  `engine`, `host`, `diverged_step`; `run.task` and `run.model` are the choice names), and its
 *  final metrics (`test_mse`, `ms_per_step`, ...; also as `metrics.test_mse`). */
export function runScope(run: RunRecord): Record<string, unknown> {
  const columns = {
    id: run.id, status: run.status, task: run.task, model: run.model, seed: run.seed, step: run.step, steps: run.steps,
    params: run.params, diverged_step: run.divergedStep, backend: run.backend, engine: run.engine, host: run.host,
    git_commit: run.git.commit, git_dirty: run.git.dirty,
  };
  const { task: _t, model: _m, ...topColumns } = columns;
  return { ...run.metrics, metrics: run.metrics, ...run.config, ...topColumns, backend: run.backend ?? run.config['backend'], run: columns };
}

/** Names the expression reads, with one level of property access: `model.hidden`, `status`. */
function paths(node: MathNode): string[] {
  type Sym = { name: string };
  type Acc = { object: MathNode; index: { dimensions: Array<MathNode & { value?: unknown }> } };
  const out: string[] = [];
  node.traverse((n, _path, parent) => {
    if (n.type !== 'SymbolNode' || (parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n)) return;
    let name = (n as unknown as Sym).name;
    const acc = parent as unknown as Acc | null;
    const idx = parent?.type === 'AccessorNode' && acc!.object === n ? acc!.index.dimensions[0] : undefined;
    if (idx?.type === 'ConstantNode') name += `.${String(idx.value)}`;
    out.push(name);
  });
  return out;
}

function has(scope: Record<string, unknown>, path: string): boolean {
  let node: unknown = scope;
  for (const p of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(p in node)) return false;
    node = (node as Record<string, unknown>)[p];
  }
  return true;
}

/** Keeps the runs for which `expr` is true. A syntax error, a name no run has, or a result that is
 *  not true/false is a user error; a run that lacks a key the expression reads is left out. */
export function filterRuns(runs: RunRecord[], expr: string): RunRecord[] {
  let node: MathNode;
  try {
    node = math.parse(expr);
  } catch (e) {
    throw new UserError(`--where ${JSON.stringify(expr)}: ${(e as Error).message}`);
  }
  node = node.transform((n) => {
    const op = n as unknown as { type: string; fn: string; args: MathNode[] };
    if (op.type === 'OperatorNode' && (op.fn === 'equal' || op.fn === 'unequal')) {
      return new math.FunctionNode(new math.SymbolNode(op.fn === 'equal' ? '__same' : '__differ'), op.args);
    }
    return n;
  });
  const scopes = runs.map(runScope);
  for (const p of paths(node)) {
    if (p.startsWith('__') || p in math) continue;
    if (!scopes.some((s) => has(s, p))) {
      throw new UserError(`--where: no run has '${p}' (config keys such as model.hidden, optimizer.lr; columns such as status, seed; metrics such as test_mse)`);
    }
  }
  const code = node.compile();
  return runs.filter((run, i) => {
    let v: unknown;
    try {
      v = code.evaluate(new Map(Object.entries(scopes[i]!)));
    } catch {
      return false;
    }
    if (typeof v !== 'boolean') throw new UserError(`--where ${JSON.stringify(expr)}: gives ${math.format(v)} for run ${run.id}, not true or false`);
    return v;
  });
}
