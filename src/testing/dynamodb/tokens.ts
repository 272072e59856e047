import { invalid } from "../wire.ts";

export type Token =
  | { kind: "name"; text: string } // #placeholder or a bare attribute name
  | { kind: "value"; text: string } // :placeholder
  | { kind: "word"; text: string } // AND, OR, NOT, SET, REMOVE, BETWEEN, IN, function names
  | { kind: "op"; text: string }; // = <> < <= > >= ( ) , + -

const KEYWORDS = new Set(["AND", "OR", "NOT", "SET", "REMOVE", "ADD", "DELETE", "BETWEEN", "IN"]);

/** Split a DynamoDB condition or update expression into tokens. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const two = expression.slice(i, i + 2);
    if (two === "<>" || two === "<=" || two === ">=") {
      tokens.push({ kind: "op", text: two });
      i += 2;
      continue;
    }
    if ("=<>(),+-".includes(c)) {
      tokens.push({ kind: "op", text: c });
      i += 1;
      continue;
    }
    const match = /^[#:]?[A-Za-z0-9_]+/.exec(expression.slice(i));
    if (match === null) throw invalid(`Invalid expression: unexpected "${c}" at ${i} in: ${expression}`);
    const text = match[0];
    if (text.startsWith(":")) tokens.push({ kind: "value", text });
    else if (text.startsWith("#")) tokens.push({ kind: "name", text });
    else if (KEYWORDS.has(text.toUpperCase())) tokens.push({ kind: "word", text: text.toUpperCase() });
    else if (/^\s*\(/.test(expression.slice(i + text.length))) tokens.push({ kind: "word", text }); // a function name
    else tokens.push({ kind: "name", text });
    i += text.length;
  }
  return tokens;
}

/** A cursor over tokens with the small helpers a recursive-descent parser needs. */
export class TokenCursor {
  #index = 0;
  constructor(
    readonly tokens: Token[],
    readonly source: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.#index];
  }

  next(): Token {
    const token = this.tokens[this.#index];
    if (token === undefined) throw invalid(`Invalid expression: unexpected end of: ${this.source}`);
    this.#index += 1;
    return token;
  }

  /** Consume the next token if it is `text` (keywords case-insensitively). */
  accept(text: string): boolean {
    const token = this.peek();
    if (token !== undefined && (token.kind === "op" || token.kind === "word") && token.text.toUpperCase() === text) {
      this.#index += 1;
      return true;
    }
    return false;
  }

  expect(text: string): void {
    if (!this.accept(text)) throw invalid(`Invalid expression: expected "${text}" in: ${this.source}`);
  }

  get done(): boolean {
    return this.#index >= this.tokens.length;
  }
}
