// Hydra's override grammar (its OverrideParser.g4) over the tokens of lexer.ts:
//   override: key '=' value? | '~' key ('=' value?)? | '+' '+'? key '=' value?
//   key: (path | group/path) ('@' package?)?      value: element (',' element)*
//   element: primitive | [list] | {dict} | function(args, name=args)
// The result is a syntax tree with each element's text as typed; functions are evaluated, and
// the tree made into values, by functions.ts.
import { lexKey, lexValue, type Token, type TokenType } from './lexer.js';
import { fail, type El } from './values.js';

export type Node =
  | El
  | { k: 'list-node'; items: Node[]; src: string }
  | { k: 'dict-node'; entries: Array<[string, Node]>; src: string }
  | { k: 'call'; name: string; args: Array<{ name?: string; node: Node }>; src: string }
  | { k: 'choices'; items: Node[]; src: string };

export interface Key {
  prefix: '' | '+' | '++' | '~';
  /** A dotted config path (`model.hidden`, `list.0`) or a group path (`model`, `experiment/paper`). */
  path: string;
  /** After `@`: '' is the top level (Hydra's `_global_`); absent when there is no `@`. */
  package?: string;
  /** The key as typed, with its prefix and package: `+model@teacher`. */
  text: string;
}

export interface ParsedOverride {
  key: Key;
  /** Absent for `~key` without `=`. */
  value?: Node;
  text: string;
}

const PRIMITIVE: TokenType[] = ['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'INTERPOLATION', 'UNQUOTED_CHAR', 'COLON', 'ESC', 'WS'];
// A dictionary key is a primitive without ':' and interpolations (and never quoted).
const DICT_KEY: TokenType[] = ['ID', 'NULL', 'INT', 'FLOAT', 'BOOL', 'UNQUOTED_CHAR', 'ESC', 'WS'];
const CLOSING: Partial<Record<TokenType, string>> = { PCLOSE: ')', BRACKET_CLOSE: ']', BRACE_CLOSE: '}' };

const unescapeEsc = (text: string) => [...text].filter((_, i) => i % 2 === 1).join('');

/** A quoted value's text: backslashes are special only before a quote (Hydra's rule). */
function unquote(text: string): string {
  const q = text[0]!;
  const rest = text.slice(1);
  let out = '';
  let last = 0;
  for (const m of rest.matchAll(new RegExp(`\\\\+${q}`, 'g'))) {
    out += rest.slice(last, m.index) + [...m[0]].filter((_, i) => i % 2 === 1).join('');
    last = m.index + m[0].length;
  }
  const tail = rest.slice(last);
  return out + (tail.length > 1 ? tail.slice(0, -1) : '');
}

function number(t: Token, where: string): El {
  const text = t.text.replace(/_/g, '');
  if (t.type === 'INT') {
    const v = Number(text);
    if (!Number.isSafeInteger(v)) fail(where, `${t.text} is too large for an exact whole number (at most 2^53); write it as a float, e.g. ${Number(text).toExponential()}`);
    return { k: 'int', v: v === 0 ? 0 : v };
  }
  const special = /^([+-]?)\.?(inf|nan)$/i.exec(text);
  if (special) return { k: 'float', v: special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity };
  return { k: 'float', v: Number(text) };
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly s: string, private readonly where: string) {}

  private peek(n = 0): Token | undefined {
    return this.toks[this.i + n];
  }

  private src(from: Token, to: Token): string {
    return this.s.slice(from.start, to.end);
  }

  private unexpected(t: Token | undefined, expected: string): never {
    if (!t) fail(this.where, `missing ${expected} in '${this.s}'`);
    if (CLOSING[t.type]) fail(this.where, `unbalanced '${CLOSING[t.type]}' in '${this.s}'`);
    if (t.type === 'EQUAL') fail(this.where, `'=' inside a value: escape it (a\\=b) or quote the value ('a=b')`);
    if (t.type === 'COMMA') fail(this.where, `empty value in the list '${this.s}' (quote text that contains commas: 'a,b', or escape them: a\\,b)`);
    if (t.type === 'QUOTED_VALUE') fail(this.where, `a quoted string must be the whole value, not part of it (${t.text} in '${this.s}'): quote all of it`);
    fail(this.where, `unexpected '${t.text.trim()}' in '${this.s}' where ${expected} was expected (quote the value if it is text)`);
  }

  private expect(type: TokenType, what: string): Token {
    const t = this.peek();
    if (t?.type !== type) this.unexpected(t, what);
    this.i++;
    return t;
  }

  /** value: element (',' element)*; a list of two or more is Hydra's simple choice sweep. */
  value(): Node {
    const first = this.peek();
    if (!first) return { k: 'str', v: '', src: '' };
    const items = [this.element()];
    while (this.peek()?.type === 'COMMA') {
      this.i++;
      items.push(this.element());
    }
    if (this.peek()) this.unexpected(this.peek(), "',' or the end of the value");
    return items.length === 1 ? items[0]! : { k: 'choices', items, src: this.src(first, this.toks[this.toks.length - 1]!) };
  }

  element(): Node {
    const t = this.peek();
    if (t?.type === 'ID' && this.peek(1)?.type === 'POPEN') return this.call();
    if (t?.type === 'BRACKET_OPEN') return this.list();
    if (t?.type === 'BRACE_OPEN') return this.dict();
    return this.primitive();
  }

  private call(): Node {
    const name = this.toks[this.i]!;
    this.i += 2;
    const args: Array<{ name?: string; node: Node }> = [];
    while (this.peek()?.type !== 'PCLOSE') {
      if (!this.peek()) this.unexpected(undefined, `')' to close ${name.text}(`);
      if (args.length > 0) this.expect('COMMA', `',' or ')' to close ${name.text}(`);
      const named = this.peek()?.type === 'ID' && this.peek(1)?.type === 'EQUAL';
      if (named) this.i += 2;
      args.push(named ? { name: this.toks[this.i - 2]!.text, node: this.element() } : { node: this.element() });
    }
    const close = this.expect('PCLOSE', `')' to close ${name.text}(`);
    return { k: 'call', name: name.text, args, src: this.src(name, close) };
  }

  private list(): Node {
    const open = this.expect('BRACKET_OPEN', "'['");
    const items: Node[] = [];
    while (this.peek()?.type !== 'BRACKET_CLOSE') {
      if (!this.peek()) this.unexpected(undefined, "']'");
      if (items.length > 0) this.expect('COMMA', "',' or ']'");
      items.push(this.element());
    }
    return { k: 'list-node', items, src: this.src(open, this.expect('BRACKET_CLOSE', "']'")) };
  }

  private dict(): Node {
    const open = this.expect('BRACE_OPEN', "'{'");
    const entries: Array<[string, Node]> = [];
    while (this.peek()?.type !== 'BRACE_CLOSE') {
      if (!this.peek()) this.unexpected(undefined, "'}'");
      if (entries.length > 0) this.expect('COMMA', "',' or '}'");
      const start = this.i;
      while (this.peek() && DICT_KEY.includes(this.peek()!.type)) this.i++;
      const toks = this.toks.slice(start, this.i).filter((t, j, a) => !(t.type === 'WS' && (j === 0 || j === a.length - 1)));
      if (toks.length === 0) {
        const t = this.peek();
        if (t?.type === 'QUOTED_VALUE') fail(this.where, `a dictionary key cannot be quoted (${t.text}); escape special characters instead: {a\\ b: 1}`);
        this.unexpected(t, 'a dictionary key');
      }
      if (this.peek()?.type !== 'COLON') fail(this.where, `expected ':' after the key '${toks.map((t) => t.text).join('')}' in '${this.s}' (a dictionary is {key: value, ...})`);
      this.i++;
      entries.push([toks.map((t) => (t.type === 'ESC' ? unescapeEsc(t.text) : t.text)).join(''), this.element()]);
    }
    return { k: 'dict-node', entries, src: this.src(open, this.expect('BRACE_CLOSE', "'}'")) };
  }

  private primitive(): El {
    const first = this.peek();
    if (first?.type === 'QUOTED_VALUE') {
      this.i++;
      return { k: 'str', v: unquote(first.text), quoted: true, src: first.text };
    }
    const start = this.i;
    while (this.peek() && PRIMITIVE.includes(this.peek()!.type)) this.i++;
    let toks = this.toks.slice(start, this.i);
    if (toks.length === 0) this.unexpected(first, 'a value');
    if (toks.every((t) => t.type === 'WS')) fail(this.where, 'a value cannot be only whitespace (quote it: \' \')');
    toks = toks.filter((t, j, a) => !(t.type === 'WS' && (j === 0 || j === a.length - 1)));
    const src = this.src(toks[0]!, toks[toks.length - 1]!);
    if (toks.length > 1) return { k: 'str', v: toks.map((t) => (t.type === 'ESC' ? unescapeEsc(t.text) : t.text)).join(''), src };
    const t = toks[0]!;
    switch (t.type) {
      case 'INT':
      case 'FLOAT':
        return { ...number(t, this.where), src };
      case 'BOOL':
        return { k: 'bool', v: t.text.toLowerCase() === 'true', src };
      case 'NULL':
        return { k: 'null', src };
      case 'ESC':
        return { k: 'str', v: unescapeEsc(t.text), src };
      default:
        return { k: 'str', v: t.text, src };
    }
  }
}

/** A value text alone (value mode from its first character). */
export function parseValueText(s: string, where: string): Node {
  return new Parser(lexValue(s, where), s, where).value();
}

/** The key part of an override: [~ | + | ++] (path | group/path) [@package]. */
function parseKey(toks: Token[], text: string, where: string): Key {
  let i = 0;
  let prefix: Key['prefix'] = '';
  if (toks[0]?.type === 'TILDE') [prefix, i] = ['~', 1];
  else if (toks[0]?.type === 'PLUS') [prefix, i] = toks[1]?.type === 'PLUS' ? ['++', 2] : ['+', 1];
  const name = (t: Token | undefined) => t !== undefined && ['ID', 'KEY_SPECIAL', 'DOT_PATH'].includes(t.type);
  let path = '';
  if (toks[i]?.type === 'ID' && toks[i + 1]?.type === 'SLASH') {
    path = toks[i++]!.text;
    while (toks[i]?.type === 'SLASH' && toks[i + 1]?.type === 'ID') path += `/${toks[(i += 2) - 1]!.text}`;
  } else if (name(toks[i])) path = toks[i++]!.text;
  let pkg: string | undefined;
  if (toks[i]?.type === 'AT') {
    i++;
    pkg = name(toks[i]) ? toks[i++]!.text : '';
  }
  const end = toks[i];
  const keyText = text.slice(0, end?.type === 'EQUAL' ? end.start : text.length);
  if (path === '') fail(where, `missing key before '=' (expected e.g. model.hidden=128)`);
  if (end && end.type !== 'EQUAL') {
    const hint = end.type === 'COLON' ? "group@pkg1:pkg2 (Hydra 1.0's package renaming) is not supported; use group@pkg" : `'${keyText}' is not a valid key (expected e.g. model.hidden=128, model=lstm or +model@teacher=lstm)`;
    fail(where, hint);
  }
  if (!end && prefix !== '~') fail(where, `missing '=' (expected ${path}=VALUE, +${path}=VALUE or ~${path})`);
  return { prefix, path, ...(pkg === undefined ? {} : { package: pkg }), text: keyText };
}

/** An override as typed on the command line. */
export function parseOverrideText(text: string): ParsedOverride {
  // Trailing whitespace is the value's to drop: an escaped one (a\ ) belongs to the value.
  const s = text.includes('=') ? text.trimStart() : text.trim();
  const where = `override '${s}'`;
  const toks = lexKey(s, where);
  const key = parseKey(toks, s, where);
  const eq = toks[toks.length - 1];
  if (eq?.type !== 'EQUAL') return { key, text: s };
  const value = new Parser(lexValue(s, where, eq.end), s, where).value();
  return { key, value, text: s };
}
