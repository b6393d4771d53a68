// The one evaluator of user expressions: `${eval:...}` in configs and `irnn report --where`. A
// mathjs instance built from a fixed list of functions, dangerous ones replaced by throwing stubs
// (as mathjs documents for untrusted input), and every parsed tree checked before it runs: only
// numbers, text, names, the operators and functions listed here, and short list literals. Without
// loops, assignments, function definitions or functions that build matrices, an expression costs
// time and memory in proportion to its (bounded) length. Never JavaScript eval.
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode } from 'mathjs';
import { UserError } from './errors.js';

/** What an expression may call, by name (documented in the README). */
export const FUNCTIONS = [
  'abs', 'ceil', 'floor', 'round', 'fix', 'sign', 'sqrt', 'cbrt', 'exp', 'log', 'log2', 'log10', 'pow', 'mod',
  'min', 'max', 'sum', 'mean', 'median', 'std', 'equalText',
] as const;
/** Operators by the mathjs function they call: + - * / ^ % mod, comparisons, and/or/not/xor. */
const OPERATORS = [
  'add', 'subtract', 'multiply', 'divide', 'unaryMinus', 'unaryPlus', 'pow', 'mod',
  'equal', 'unequal', 'smaller', 'smallerEq', 'larger', 'largerEq', 'and', 'or', 'not', 'xor',
] as const;
const CONSTANTS = ['pi', 'e'] as const;
/** Bounds on the text and on list literals: what an expression may allocate follows from them. */
export const MAX_LENGTH = 2000;
export const MAX_LIST_ELEMENTS = 256;
/** Callable from an expression in no case, even if a later mathjs version puts them in the
 *  instance's namespace: they parse, evaluate or define code, or change the instance. */
const DISABLED = ['import', 'createUnit', 'evaluate', 'parse', 'compile', 'simplify', 'derivative', 'resolve', 'reviver', 'chain', 'config'];

interface Engine {
  math: MathJsInstance;
  parse: (expr: string) => MathNode;
}
let engine: Engine | null = null;

// mathjs takes a while to load: it is required on first use only (most commands never need it).
function load(): Engine {
  if (engine) return engine;
  const mathjs = createRequire(import.meta.url)('mathjs') as Record<string, unknown> & typeof import('mathjs');
  const names = [...FUNCTIONS, ...OPERATORS, ...CONSTANTS, 'parse', 'compile'];
  const factories = Object.fromEntries(names.map((n) => [`${n}Dependencies`, mathjs[`${n}Dependencies`]]));
  const math = mathjs.create(factories as never, { number: 'number' }) as MathJsInstance;
  const parse = math.parse.bind(math) as Engine['parse'];
  // `==` and `!=` compare text and null as values (mathjs's equal would convert text to numbers).
  const same = (a: unknown, b: unknown): boolean =>
    typeof a === 'string' || typeof b === 'string' || a == null || b == null ? a === b : (math.equal(a as number, b as number) as boolean);
  const stub = (name: string) => () => {
    throw new Error(`function ${name} is disabled`);
  };
  math.import({ __same: same, __differ: (a: unknown, b: unknown) => !same(a, b) }, { override: true });
  math.import(Object.fromEntries(DISABLED.map((n) => [n, stub(n)])), { override: true });
  engine = { math, parse };
  return engine;
}

const allowed = (list: readonly string[], name: string) => list.includes(name);

/** The dotted name an accessor chain spells (`model.hidden`, `run["task"]`), or null. */
function dotted(node: MathNode): string | null {
  const n = node as unknown as { type: string; name?: string; object?: MathNode; index?: { dimensions: MathNode[] } };
  if (n.type === 'SymbolNode') return n.name!;
  if (n.type !== 'AccessorNode' || n.index!.dimensions.length !== 1) return null;
  const key = n.index!.dimensions[0] as unknown as { type: string; value: unknown };
  const base = dotted(n.object!);
  return base !== null && key.type === 'ConstantNode' && typeof key.value === 'string' ? `${base}.${key.value}` : null;
}

/** Checks every node; returns the names (dotted paths) the expression reads. */
function check(root: MathNode): string[] {
  const names = new Set<string>();
  let elements = 0;
  const visit = (node: MathNode): void => {
    const n = node as unknown as Record<string, unknown> & { type: string };
    switch (n.type) {
      case 'ConstantNode':
        return;
      case 'SymbolNode':
      case 'AccessorNode': {
        const name = dotted(node);
        if (name === null) throw new Error('only plain names can be read, e.g. model.hidden');
        if (!allowed(CONSTANTS, name)) names.add(name);
        return;
      }
      case 'ParenthesisNode':
        return visit(n['content'] as MathNode);
      case 'ConditionalNode':
        return ['condition', 'trueExpr', 'falseExpr'].forEach((k) => visit(n[k] as MathNode));
      case 'OperatorNode':
        if (!allowed(OPERATORS, n['fn'] as string)) throw new Error(`the operator '${String(n['op'])}' is not allowed`);
        return (n['args'] as MathNode[]).forEach(visit);
      case 'FunctionNode': {
        const fn = n['fn'] as unknown as { type: string; name?: string };
        const name = fn.type === 'SymbolNode' ? fn.name! : dotted(n['fn'] as MathNode) ?? '(expression)';
        if (!allowed(FUNCTIONS, name)) throw new Error(`unknown function '${name}' (known: ${FUNCTIONS.join(', ')})`);
        return (n['args'] as MathNode[]).forEach(visit);
      }
      case 'ArrayNode': {
        const items = n['items'] as MathNode[];
        elements += items.length;
        if (elements > MAX_LIST_ELEMENTS) throw new Error(`lists may hold at most ${MAX_LIST_ELEMENTS} values in all`);
        return items.forEach(visit);
      }
      default:
        throw new Error(`${describe(n.type)} is not allowed; use numbers, text, names, operators and the functions ${FUNCTIONS.join(', ')}`);
    }
  };
  visit(root);
  return [...names];
}

const describe = (type: string): string =>
  ({
    AssignmentNode: 'assignment',
    FunctionAssignmentNode: 'defining a function',
    BlockNode: 'more than one statement',
    RangeNode: 'a range (a:b)',
    ObjectNode: 'an object literal',
    IndexNode: 'indexing',
  })[type] ?? type;

export interface Expression {
  /** The names (dotted paths) the expression reads, e.g. ['model.hidden', 'status']. */
  names: string[];
  /** Evaluates with values for the names; mathjs errors propagate (the caller words them). */
  evaluate(scope?: Record<string, unknown>): unknown;
}

/** Parses and checks an expression; any problem is a one-line UserError starting with `where`. */
export function compileExpression(text: string, where: string): Expression {
  if (text.length > MAX_LENGTH) throw new UserError(`${where}: the expression is ${text.length} characters long (at most ${MAX_LENGTH})`);
  const { math, parse } = load();
  let node: MathNode;
  let names: string[];
  try {
    node = parse(text);
    names = check(node);
  } catch (e) {
    throw new UserError(`${where}: ${oneLine(e)}`);
  }
  node = node.transform((n) => {
    const op = n as unknown as { type: string; fn: string; args: MathNode[] };
    if (op.type === 'OperatorNode' && (op.fn === 'equal' || op.fn === 'unequal')) {
      return new math.FunctionNode(new math.SymbolNode(op.fn === 'equal' ? '__same' : '__differ'), op.args);
    }
    return n;
  });
  const code = node.compile();
  return { names, evaluate: (scope = {}) => code.evaluate(new Map(Object.entries(scope))) };
}

/** A value as mathjs would print it (for error messages). */
export function formatValue(v: unknown): string {
  return load().math.format(v as never);
}

export const oneLine = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0]!;
