import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import { invalid } from "../wire.ts";
import { TokenCursor, tokenize } from "./tokens.ts";
import { attributeName, attributeValue, compare, equal, type Placeholders } from "./values.ts";

/**
 * Evaluate a condition (or filter) expression against an item (undefined: no item). Supports what
 * the library sends and what tests commonly write: = <> < <= > >=, BETWEEN, IN, AND, OR, NOT,
 * parentheses, attribute_exists, attribute_not_exists, begins_with; top-level attribute names only.
 */
export function evaluateCondition(expression: string, item: Item | undefined, placeholders: Placeholders): boolean {
  const cursor = new TokenCursor(tokenize(expression), expression);
  const result = orExpression(cursor, item ?? {}, placeholders);
  if (!cursor.done) throw invalid(`Invalid ConditionExpression: unexpected "${cursor.peek()?.text}" in: ${expression}`);
  return result;
}

function orExpression(c: TokenCursor, item: Item, p: Placeholders): boolean {
  let result = andExpression(c, item, p);
  while (c.accept("OR")) {
    const right = andExpression(c, item, p);
    result = result || right;
  }
  return result;
}

function andExpression(c: TokenCursor, item: Item, p: Placeholders): boolean {
  let result = notExpression(c, item, p);
  while (c.accept("AND")) {
    const right = notExpression(c, item, p);
    result = result && right;
  }
  return result;
}

function notExpression(c: TokenCursor, item: Item, p: Placeholders): boolean {
  if (c.accept("NOT")) return !notExpression(c, item, p);
  return primary(c, item, p);
}

function primary(c: TokenCursor, item: Item, p: Placeholders): boolean {
  if (c.accept("(")) {
    const result = orExpression(c, item, p);
    c.expect(")");
    return result;
  }
  const token = c.peek();
  if (token?.kind === "word" && !["AND", "OR", "NOT"].includes(token.text)) {
    c.next();
    return callFunction(token.text, c, item, p);
  }
  const left = operand(c, item, p);
  if (c.accept("BETWEEN")) {
    const low = operand(c, item, p);
    c.expect("AND");
    const high = operand(c, item, p);
    const a = compare(left, low);
    const b = compare(left, high);
    return a !== undefined && b !== undefined && a >= 0 && b <= 0;
  }
  if (c.accept("IN")) {
    c.expect("(");
    let found = false;
    do found = equal(left, operand(c, item, p)) || found; while (c.accept(","));
    c.expect(")");
    return found;
  }
  const op = c.next();
  if (op.kind !== "op") throw invalid(`Invalid ConditionExpression: expected a comparator, got "${op.text}" in: ${c.source}`);
  const right = operand(c, item, p);
  const order = compare(left, right);
  switch (op.text) {
    case "=":
      return equal(left, right);
    case "<>":
      // A missing attribute is "not equal" to any value, as in DynamoDB.
      return !equal(left, right);
    case "<":
      return order !== undefined && order < 0;
    case "<=":
      return order !== undefined && order <= 0;
    case ">":
      return order !== undefined && order > 0;
    case ">=":
      return order !== undefined && order >= 0;
    default:
      throw invalid(`Invalid ConditionExpression: unknown comparator "${op.text}" in: ${c.source}`);
  }
}

function callFunction(name: string, c: TokenCursor, item: Item, p: Placeholders): boolean {
  c.expect("(");
  const path = c.next();
  if (path.kind !== "name") throw invalid(`Invalid ConditionExpression: ${name} needs an attribute path in: ${c.source}`);
  const attribute = attributeName(path.text, p);
  let result: boolean;
  switch (name) {
    case "attribute_exists":
      result = item[attribute] !== undefined;
      break;
    case "attribute_not_exists":
      result = item[attribute] === undefined;
      break;
    case "begins_with": {
      c.expect(",");
      const prefix = operand(c, item, p);
      const value = item[attribute];
      result = value !== undefined && "S" in value && prefix !== undefined && "S" in prefix && value.S.startsWith(prefix.S);
      break;
    }
    default:
      throw invalid(`Invalid ConditionExpression: the in-memory DynamoDB does not implement the function ${name}`);
  }
  c.expect(")");
  return result;
}

function operand(c: TokenCursor, item: Item, p: Placeholders): AttributeValue | undefined {
  const token = c.next();
  if (token.kind === "value") return attributeValue(token.text, p);
  if (token.kind === "name") return item[attributeName(token.text, p)];
  throw invalid(`Invalid ConditionExpression: unexpected "${token.text}" in: ${c.source}`);
}
