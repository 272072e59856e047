import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import { invalid } from "../wire.ts";
import { TokenCursor, tokenize } from "./tokens.ts";
import { arithmetic, attributeName, attributeValue, copyItem, type Placeholders } from "./values.ts";

/**
 * Apply an update expression to a copy of `item`: `SET a = value[, ...]` where value is an operand or
 * `operand + operand` / `operand - operand`, operands being attributes, `:values` or
 * `if_not_exists(a, value)`; and `REMOVE a[, ...]`. Returns the new item and the names it touched.
 * All operands read the item as it was before the update, as in DynamoDB.
 */
export function applyUpdate(expression: string, item: Item, placeholders: Placeholders): { item: Item; touched: Set<string> } {
  const cursor = new TokenCursor(tokenize(expression), expression);
  const before = item;
  const after = copyItem(item);
  const touched = new Set<string>();
  const seen = new Set<string>();
  while (!cursor.done) {
    if (cursor.accept("SET")) {
      if (seen.has("SET")) throw invalid(`Invalid UpdateExpression: The "SET" section can only be used once in an update expression: ${expression}`);
      seen.add("SET");
      do {
        const target = cursor.next();
        if (target.kind !== "name") throw invalid(`Invalid UpdateExpression: expected an attribute after SET in: ${expression}`);
        const name = attributeName(target.text, placeholders);
        cursor.expect("=");
        after[name] = setValue(cursor, before, placeholders);
        touched.add(name);
      } while (cursor.accept(","));
    } else if (cursor.accept("REMOVE")) {
      if (seen.has("REMOVE")) throw invalid(`Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression: ${expression}`);
      seen.add("REMOVE");
      do {
        const target = cursor.next();
        if (target.kind !== "name") throw invalid(`Invalid UpdateExpression: expected an attribute after REMOVE in: ${expression}`);
        const name = attributeName(target.text, placeholders);
        delete after[name];
        touched.add(name);
      } while (cursor.accept(","));
    } else {
      throw invalid(`Invalid UpdateExpression: the in-memory DynamoDB supports SET and REMOVE, got "${cursor.peek()?.text}" in: ${expression}`);
    }
  }
  return { item: after, touched };
}

function setValue(c: TokenCursor, item: Item, p: Placeholders): AttributeValue {
  const left = operand(c, item, p);
  if (c.accept("+")) return arithmetic(left, operand(c, item, p), "+");
  if (c.accept("-")) return arithmetic(left, operand(c, item, p), "-");
  return left;
}

function operand(c: TokenCursor, item: Item, p: Placeholders): AttributeValue {
  const token = c.next();
  if (token.kind === "value") return attributeValue(token.text, p);
  if (token.kind === "name") {
    const name = attributeName(token.text, p);
    const value = item[name];
    if (value === undefined) throw invalid(`The provided expression refers to an attribute that does not exist in the item: ${name}`);
    return value;
  }
  if (token.kind === "word" && token.text === "if_not_exists") {
    c.expect("(");
    const path = c.next();
    if (path.kind !== "name") throw invalid(`Invalid UpdateExpression: if_not_exists needs an attribute path in: ${c.source}`);
    c.expect(",");
    const fallback = setValue(c, item, p);
    c.expect(")");
    return item[attributeName(path.text, p)] ?? fallback;
  }
  throw invalid(`Invalid UpdateExpression: unexpected "${token.text}" in: ${c.source}`);
}
