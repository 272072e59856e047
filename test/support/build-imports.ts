import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Every package an entry of a tsup build imports, following its relative imports into the shared chunks
 * (each build splits the modules its entries share into chunks of its own).
 */
export async function packagesImportedBy(outDir: string, entry: string): Promise<Set<string>> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = await readFile(file, "utf8");
    for (const match of code.matchAll(/^(?:import|export) [^;]*? from ["']([^"']+)["']/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) await visit(join(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  await visit(join(outDir, entry));
  return packages;
}
