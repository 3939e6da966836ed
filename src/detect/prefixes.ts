/**
 * Word-start prefixes of a regex source, used as a cheap pre-filter: the lexicon regex (hundreds of
 * alternatives) only runs, sticky, at word starts whose first letters can begin some term. This is what
 * makes the word-based detectors run at tens of MB/s instead of trying every alternative at every position.
 *
 * The parser understands the subset the lexicon uses: literals, (?:...) groups, alternation, ?, *, +, {m,n},
 * character classes, escapes and lookarounds. Anything it cannot follow ends the prefix early, which only
 * makes the filter less selective, never wrong.
 */

/** A set of prefixes; `open` marks prefixes that may still grow (none of them reached K or an unknown). */
interface PrefixSet {
  done: Set<string>; // complete: reached K chars or ended by something the filter cannot follow
  open: Set<string>; // may be continued by what follows
}

/** Prefix length; a prefix ending in '$' is a whole short word (the term continues with a space or hyphen). */
export const K = 5;
const WORD_END = (): PrefixSet => ({ done: new Set(['$']), open: new Set() });

function single(s: string): PrefixSet {
  return { done: new Set(), open: new Set([s]) };
}
const EMPTY = (): PrefixSet => single('');
const UNKNOWN = (): PrefixSet => ({ done: new Set(['']), open: new Set() });

function union(a: PrefixSet, b: PrefixSet): PrefixSet {
  return { done: new Set([...a.done, ...b.done]), open: new Set([...a.open, ...b.open]) };
}

function concat(a: PrefixSet, b: PrefixSet): PrefixSet {
  const done = new Set(a.done);
  const open = new Set<string>();
  for (const x of a.open) {
    for (const y of b.done) done.add(y === '$' ? x + '$' : (x + y).slice(0, K));
    for (const y of b.open) {
      const s = x + y;
      if (s.length >= K) done.add(s.slice(0, K));
      else open.add(s);
    }
  }
  return { done, open };
}

function isWordChar(c: string): boolean {
  return /[a-z0-9à-ÿ]/.test(c);
}

/** A literal character: continues the prefix if it is a word character, else ends the word. */
function literal(c: string): PrefixSet {
  const l = c.toLowerCase();
  return isWordChar(l) ? single(l) : WORD_END();
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  parseAlternation(): PrefixSet {
    let acc = this.parseSequence();
    while (this.s[this.i] === '|') {
      this.i++;
      acc = union(acc, this.parseSequence());
    }
    return acc;
  }

  parseSequence(): PrefixSet {
    let acc = EMPTY();
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.parseAtom();
      const q = this.parseQuantifier();
      let piece: PrefixSet;
      if (q === 'optional') piece = union(EMPTY(), atom);
      else if (q === 'more') piece = concat(atom, UNKNOWN());
      else if (q === 'optional-more') piece = union(EMPTY(), concat(atom, UNKNOWN()));
      else piece = atom;
      acc = concat(acc, piece);
      if (acc.open.size === 0) {
        this.skipRestOfSequence();
        break;
      }
    }
    return acc;
  }

  /** Skips to the end of the current alternative (balanced parentheses and classes). */
  skipRestOfSequence(): void {
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\') this.i += 2;
      else if (c === '[') this.skipClass();
      else if (c === '(') {
        depth++;
        this.i++;
      } else if (c === ')') {
        if (depth === 0) return;
        depth--;
        this.i++;
      } else if (c === '|' && depth === 0) return;
      else this.i++;
    }
  }

  skipClass(): string {
    const start = this.i;
    this.i++;
    if (this.s[this.i] === '^') this.i++;
    if (this.s[this.i] === ']') this.i++;
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      if (this.s[this.i] === '\\') this.i++;
      this.i++;
    }
    this.i++;
    return this.s.slice(start, this.i);
  }

  parseQuantifier(): 'one' | 'optional' | 'more' | 'optional-more' {
    const c = this.s[this.i];
    let q: 'one' | 'optional' | 'more' | 'optional-more' = 'one';
    if (c === '?') {
      q = 'optional';
      this.i++;
    } else if (c === '*') {
      q = 'optional-more';
      this.i++;
    } else if (c === '+') {
      q = 'more';
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (m) {
        this.i += m[0].length;
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min === 0 && max === 0) q = 'optional';
        else if (min === 0) q = 'optional-more';
        else if (min === 1 && max === 1) q = 'one';
        else q = 'more';
      }
    }
    if (this.s[this.i] === '?') this.i++; // lazy
    return q;
  }

  parseAtom(): PrefixSet {
    const c = this.s[this.i]!;
    if (c === '(') {
      this.i++;
      let lookaround = false;
      if (this.s[this.i] === '?') {
        const la = /^\?(?:<[=!]|[=!])/.exec(this.s.slice(this.i));
        if (la) {
          lookaround = true;
          this.i += la[0].length;
        } else if (this.s[this.i + 1] === ':') this.i += 2;
        else if (this.s[this.i + 1] === '<') this.i = this.s.indexOf('>', this.i) + 1; // named group
      }
      const inner = this.parseAlternation();
      this.i++; // ')'
      return lookaround ? EMPTY() : inner;
    }
    if (c === '[') {
      const cls = this.skipClass();
      const body = cls.slice(1, -1);
      // A short class of plain letters ([eë], [sz], [cs]) is expanded; anything else ends the prefix.
      if (body === '\\s-' || body === '\\s' || body === '\\s.\\-' || body === '\\s\\-') return WORD_END();
      if (!body.startsWith('^') && !body.includes('-') && !body.includes('\\') && body.length <= 4) {
        let acc: PrefixSet | null = null;
        for (const ch of body) acc = acc === null ? literal(ch) : union(acc, literal(ch));
        if (acc !== null) return acc;
      }
      return UNKNOWN();
    }
    if (c === '\\') {
      const e = this.s[this.i + 1]!;
      this.i += 2;
      if (e === 'b' || e === 'B') return EMPTY();
      if (e === 's' || e === 'W') return WORD_END();
      if (/[SwdD]/.test(e)) return UNKNOWN();
      return literal(e);
    }
    if (c === '.' || c === '^' || c === '$') {
      this.i++;
      return c === '.' ? UNKNOWN() : EMPTY();
    }
    this.i++;
    return literal(c);
  }
}

/** The word-start prefixes (lower case, at most K characters, or a whole short word ending in '$') that any match of `src` can begin with. */
export function wordPrefixes(src: string): Set<string> {
  const p = new Parser(src);
  const r = p.parseAlternation();
  const out = new Set<string>();
  // '$' alone: the match starts with a non-word character, which no word-start key can announce.
  for (const s of r.done) out.add(s === '$' ? '' : s.endsWith('$') ? s : s.slice(0, K));
  for (const s of r.open) out.add(s);
  return out;
}
