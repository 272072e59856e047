import type { AttributeValue, Item } from "../../dynamodb/marshal.ts";
import { invalid } from "../wire.ts";

/** Placeholders of one request: `ExpressionAttributeNames` and `ExpressionAttributeValues`. */
export interface Placeholders {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

export function attributeName(token: string, p: Placeholders): string {
  if (!token.startsWith("#")) return token;
  const name = p.names[token];
  if (name === undefined) {
    throw invalid(
      `Value provided in ExpressionAttributeNames unused or missing: An expression attribute name used in the document path is not defined; attribute name: ${token}`,
    );
  }
  return name;
}

export function attributeValue(token: string, p: Placeholders): AttributeValue {
  const value = p.values[token];
  if (value === undefined) throw invalid(`An expression attribute value used in expression is not defined; attribute value: ${token}`);
  return value;
}

/** DynamoDB's comparison: same type only (S by code unit, N numerically, B bytewise); otherwise undefined. */
export function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if ("S" in a && "S" in b) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if ("N" in a && "N" in b) return compareNumbers(a.N, b.N);
  if ("B" in a && "B" in b) return a.B < b.B ? -1 : a.B > b.B ? 1 : 0;
  return undefined;
}

export function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const order = compare(a, b);
  if (order !== undefined) return order === 0;
  return JSON.stringify(a) === JSON.stringify(b);
}

function compareNumbers(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `a + b` or `a - b` on two N values (integers exactly, others as doubles). */
export function arithmetic(a: AttributeValue, b: AttributeValue, op: "+" | "-"): AttributeValue {
  if (!("N" in a) || !("N" in b)) throw invalid("An operand in the update expression has an incorrect data type");
  if (/^-?\d+$/.test(a.N) && /^-?\d+$/.test(b.N)) return { N: String(op === "+" ? BigInt(a.N) + BigInt(b.N) : BigInt(a.N) - BigInt(b.N)) };
  return { N: String(op === "+" ? Number(a.N) + Number(b.N) : Number(a.N) - Number(b.N)) };
}

export function copyItem(item: Item): Item {
  return structuredClone(item);
}
