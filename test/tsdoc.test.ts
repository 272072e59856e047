import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every symbol a user can import (from the package root, /aws and /testing), and every public member of an
 * exported class or interface, carries a doc comment: the editor hover is the reference users read first.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRIES = ["src/index.ts", "src/aws/index.ts", "src/testing/index.ts"].map((file) => join(ROOT, file));

/** The "file: Symbol" and "file: Symbol.member" names of public declarations under src/ with no doc comment. */
function undocumentedPublicNames(): string[] {
  const program = ts.createProgram(ENTRIES, {
    allowImportingTsExtensions: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const hasDoc = (node: ts.Node): boolean => ts.getJSDocCommentsAndTags(node).length > 0;
  const missing: string[] = [];
  const seen = new Set<ts.Symbol>();
  for (const entry of ENTRIES) {
    const sourceFile = program.getSourceFile(entry);
    if (sourceFile === undefined) throw new Error(`cannot read ${entry}`);
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      for (const decl of symbol.declarations ?? []) {
        const file = relative(ROOT, decl.getSourceFile().fileName).split("\\").join("/");
        if (!file.startsWith("src/")) continue;
        if (!hasDoc(decl)) missing.push(`${file}: ${symbol.name}`);
        if (!ts.isInterfaceDeclaration(decl) && !ts.isClassDeclaration(decl)) continue;
        for (const member of decl.members) {
          if (member.name === undefined || ts.isConstructorDeclaration(member)) continue;
          if (ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
          if (member.name.kind === ts.SyntaxKind.PrivateIdentifier) continue;
          if (!hasDoc(member)) missing.push(`${file}: ${symbol.name}.${member.name.getText()}`);
        }
      }
    }
  }
  return missing;
}

/**
 * Public declarations still waiting for their doc comment (issue 12). This list may only shrink: a new
 * undocumented export fails the test, and so does an entry here that has since been documented.
 */
const NOT_YET_DOCUMENTED: readonly string[] = [
  "src/dynamodb/client.ts: ConditionalWrite",
  "src/dynamodb/client.ts: ConditionalWrite.TableName",
  "src/dynamodb/client.ts: ConditionalWrite.ConditionExpression",
  "src/dynamodb/client.ts: ConditionalWrite.ExpressionAttributeNames",
  "src/dynamodb/client.ts: ConditionalWrite.ExpressionAttributeValues",
  "src/dynamodb/client.ts: ConditionalWrite.ReturnValues",
  "src/dynamodb/client.ts: ConditionalWrite.ReturnValuesOnConditionCheckFailure",
  "src/dynamodb/client.ts: DynamoDBClient.http",
  "src/dynamodb/client.ts: DynamoDBClient.createTable",
  "src/dynamodb/client.ts: DynamoDBClient.describeTable",
  "src/dynamodb/client.ts: DynamoDBClient.deleteTable",
  "src/dynamodb/client.ts: DynamoDBClient.updateTimeToLive",
  "src/dynamodb/client.ts: DynamoDBClient.describeTimeToLive",
  "src/dynamodb/client.ts: DynamoDBClient.getItem",
  "src/dynamodb/client.ts: DynamoDBClient.putItem",
  "src/dynamodb/client.ts: DynamoDBClient.updateItem",
  "src/dynamodb/client.ts: DynamoDBClient.deleteItem",
  "src/dynamodb/client.ts: QueryInput",
  "src/dynamodb/client.ts: QueryInput.TableName",
  "src/dynamodb/client.ts: QueryInput.KeyConditionExpression",
  "src/dynamodb/client.ts: QueryInput.FilterExpression",
  "src/dynamodb/client.ts: QueryInput.ExpressionAttributeNames",
  "src/dynamodb/client.ts: QueryInput.ExpressionAttributeValues",
  "src/dynamodb/client.ts: QueryInput.ConsistentRead",
  "src/dynamodb/client.ts: QueryInput.IndexName",
  "src/dynamodb/client.ts: QueryInput.Limit",
  "src/dynamodb/client.ts: ScanInput",
  "src/dynamodb/client.ts: ScanInput.TableName",
  "src/dynamodb/client.ts: ScanInput.FilterExpression",
  "src/dynamodb/client.ts: ScanInput.ExpressionAttributeNames",
  "src/dynamodb/client.ts: ScanInput.ExpressionAttributeValues",
  "src/dynamodb/client.ts: ScanInput.ConsistentRead",
  "src/dynamodb/client.ts: TableDescription",
  "src/dynamodb/client.ts: TableDescription.TableName",
  "src/dynamodb/client.ts: TableDescription.TableStatus",
  "src/dynamodb/client.ts: TableDescription.KeySchema",
  "src/dynamodb/client.ts: TableDescription.AttributeDefinitions",
  "src/dynamodb/client.ts: TableDescription.BillingModeSummary",
  "src/dynamodb/client.ts: TableDescription.ItemCount",
  "src/dynamodb/client.ts: TableStatus",
];

describe("public API documentation", () => {
  it("every public export and public member has TSDoc", () => {
    const missing = undocumentedPublicNames();
    const allowed = new Set(NOT_YET_DOCUMENTED);
    const undocumented = missing.filter((name) => !allowed.has(name));
    expect(undocumented, `public declarations without a doc comment:\n${undocumented.join("\n")}`).toEqual([]);
    const nowDocumented = NOT_YET_DOCUMENTED.filter((name) => !missing.includes(name));
    expect(nowDocumented, `documented now, remove from NOT_YET_DOCUMENTED:\n${nowDocumented.join("\n")}`).toEqual([]);
  }, 120_000);
});
