import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every symbol a user can import (from the package root, /aws and /testing), and every public member of an
 * exported class or interface, carries a doc comment: the editor hover is the reference users read first.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRIES = ["src/index.ts", "src/aws/index.ts", "src/testing/index.ts", "src/admin/index.ts"].map((file) => join(ROOT, file));

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

describe("public API documentation", () => {
  it("every public export and public member has TSDoc", () => {
    const missing = undocumentedPublicNames();
    expect(missing, `public declarations without a doc comment:\n${missing.join("\n")}`).toEqual([]);
  }, 120_000);
});
