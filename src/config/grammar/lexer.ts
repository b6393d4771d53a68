// The tokens of Hydra's override grammar (its OverrideLexer.g4): a key mode before the `=` and a
// value mode after it. Like an ANTLR lexer, each step takes the longest match, the earlier rule on
// a tie. Two deliberate extensions (README, "Where irnn differs from Hydra"): `${...}` may nest
// (`${eval:${train.steps} / 4}`), and YAML's `.inf` / `.nan` are numbers, so they are refused as
// non-finite instead of passing as text. Turning tokens into values is parser.ts's job.
import { UserError } from '../../util/errors.js';

export type TokenType =
  | 'POPEN' | 'COMMA' | 'PCLOSE' | 'BRACKET_OPEN' | 'BRACKET_CLOSE' | 'BRACE_OPEN' | 'BRACE_CLOSE'
  | 'COLON' | 'EQUAL' | 'FLOAT' | 'INT' | 'BOOL' | 'NULL' | 'UNQUOTED_CHAR' | 'ID' | 'ESC' | 'WS'
  | 'QUOTED_VALUE' | 'INTERPOLATION'
  // key mode only
  | 'TILDE' | 'PLUS' | 'AT' | 'SLASH' | 'KEY_SPECIAL' | 'DOT_PATH';

export interface Token {
  type: TokenType;
  text: string;
  /** Offsets in the text that was lexed: [start, end). */
  start: number;
  end: number;
}

type Rule = [TokenType, RegExp | ((s: string, at: number) => number)];

const INT_UNSIGNED = '(?:0|[1-9](?:_?[0-9])*)';
const DIGITS = '[0-9](?:_?[0-9])*';
const POINT_FLOAT = `(?:${INT_UNSIGNED}?\\.${DIGITS}|${INT_UNSIGNED}\\.)`;
const EXPONENT = `[eE][+-]?${DIGITS}`;
const ID = '[a-zA-Z_][a-zA-Z0-9_-]*';
const KEY_SPECIAL = '[a-zA-Z_$][a-zA-Z0-9_$-]*';

const sticky = (source: string, flags = '') => new RegExp(source, `y${flags}`);

/** `${` ... `}` with nested braces balanced; Hydra's own rule (up to the first `}`) when unbalanced. */
function interpolation(s: string, at: number): number {
  if (!s.startsWith('${', at)) return 0;
  let depth = 0;
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i + 1 - at > 3 ? i + 1 - at : 0;
  }
  const first = s.indexOf('}', at + 2);
  return first > at + 2 ? first + 1 - at : 0;
}

/** Value mode, in the order of OverrideLexer.g4 (the order breaks ties between equal lengths). */
const VALUE_RULES: Rule[] = [
  ['POPEN', sticky('[ \\t]*\\([ \\t]*')],
  ['COMMA', sticky('[ \\t]*,[ \\t]*')],
  ['PCLOSE', sticky('[ \\t]*\\)')],
  ['BRACKET_OPEN', sticky('\\[[ \\t]*')],
  ['BRACKET_CLOSE', sticky('[ \\t]*\\]')],
  ['BRACE_OPEN', sticky('\\{[ \\t]*')],
  ['BRACE_CLOSE', sticky('[ \\t]*\\}')],
  ['COLON', sticky('[ \\t]*:[ \\t]*')],
  ['EQUAL', sticky('[ \\t]*=[ \\t]*')],
  // FLOAT is several alternatives; the longest of them wins, as in ANTLR
  ['FLOAT', sticky(`[+-]?${POINT_FLOAT}(?:${EXPONENT})?`)],
  ['FLOAT', sticky(`[+-]?${INT_UNSIGNED}${EXPONENT}`)],
  ['FLOAT', sticky('[+-]?\\.?(?:inf|nan)', 'i')],
  ['INT', sticky(`[+-]?${INT_UNSIGNED}`)],
  ['BOOL', sticky('true|false', 'i')],
  ['NULL', sticky('null', 'i')],
  ['UNQUOTED_CHAR', sticky('[/\\-\\\\+.$%*@?|]')],
  ['ID', sticky(ID)],
  ['ESC', sticky('(?:\\\\\\\\|\\\\[()[\\]{}:=, \\t])+')],
  ['WS', sticky('[ \\t]+')],
  ['QUOTED_VALUE', sticky(`'(?:[^'\\\\]|\\\\[\\s\\S])*'|"(?:[^"\\\\]|\\\\[\\s\\S])*"`)],
  ['INTERPOLATION', interpolation],
];

const KEY_RULES: Rule[] = [
  ['EQUAL', sticky('=[ \\t]*')],
  ['TILDE', sticky('~')],
  ['PLUS', sticky('\\+')],
  ['AT', sticky('@')],
  ['COLON', sticky(':')],
  ['SLASH', sticky('/')],
  ['ID', sticky(ID)],
  ['KEY_SPECIAL', sticky(KEY_SPECIAL)],
  ['DOT_PATH', sticky(`(?:${KEY_SPECIAL}|${INT_UNSIGNED})(?:\\.(?:${KEY_SPECIAL}|${INT_UNSIGNED}))+`)],
];

function longest(rules: Rule[], s: string, at: number): Token | null {
  let best: Token | null = null;
  for (const [type, rule] of rules) {
    let n: number;
    if (typeof rule === 'function') n = rule(s, at);
    else {
      rule.lastIndex = at;
      n = rule.exec(s)?.[0].length ?? 0;
    }
    if (n > (best ? best.end - best.start : 0)) best = { type, text: s.slice(at, at + n), start: at, end: at + n };
  }
  return best;
}

/** Why a character starts no token, as one line with the way out. */
function unlexable(s: string, at: number, where: string, mode: 'key' | 'value'): UserError {
  const c = s[at]!;
  if (mode === 'key') {
    const hint = c === ' ' || c === '\t' ? 'a key has no spaces' : 'a key is a dotted path like model.hidden, a group like model or experiment/paper, optionally group@package';
    return new UserError(`${where}: '${c}' cannot appear in the key (${hint})`);
  }
  if (c === "'" || c === '"') return new UserError(`${where}: unclosed quote ${c} in '${s}'`);
  if (c === '~') return new UserError(`${where}: '~' cannot appear in a value (null is written null; quote text that contains it: '...')`);
  const shown = /\s/.test(c) && c !== ' ' ? JSON.stringify(c) : `'${c}'`;
  return new UserError(`${where}: ${shown} cannot appear unquoted in a value; quote the value ('...' or "...")`);
}

/** Tokens of `s` from `at` in value mode (the whole rest of the text). */
export function lexValue(s: string, where: string, at = 0): Token[] {
  const out: Token[] = [];
  while (at < s.length) {
    const t = longest(VALUE_RULES, s, at);
    if (!t) throw unlexable(s, at, where, 'value');
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Tokens of the key part, up to and including the first `=` (whose end is where the value starts). */
export function lexKey(s: string, where: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  while (at < s.length) {
    const t = longest(KEY_RULES, s, at);
    if (!t) throw unlexable(s, at, where, 'key');
    out.push(t);
    at = t.end;
    if (t.type === 'EQUAL') break;
  }
  return out;
}
