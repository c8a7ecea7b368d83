// Crowdify's web front: one Vite project, several pages. Each page is a folder with an index.html
// served at /<folder>/ by the gateway; hashed code and styles of every page land in /assets/.
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { OutputBundle, OutputChunk } from "rolldown";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const root = dirname(fileURLToPath(import.meta.url));

const pages = {
  shop: resolve(root, "index.html"),
  console: resolve(root, "console/index.html"),
  scanner: resolve(root, "scanner/index.html"),
};

// Service workers keep a fixed URL (their scope is their folder); the build writes into each the
// list of files it must keep for offline start, so a new build is a new worker.
const serviceWorkers: Record<string, { source: string; scope: string }> = {
  "scanner/sw": { source: resolve(root, "src/scanner/service-worker.ts"), scope: "scanner/" },
};
const PRECACHE_PLACEHOLDER = /(["'`])__CROWDIFY_PRECACHE__\1/;

function publicFiles(folder: string): string[] {
  const base = resolve(root, "public", folder);
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => "/" + relative(resolve(root, "public"), resolve(entry.parentPath, entry.name)));
}

type Bundle = OutputBundle;

/** The files a page's entry needs: its chunk, the chunks it imports, their styles and assets. */
function filesOfPage(bundle: Bundle, page: string): string[] {
  const chunks = Object.values(bundle).filter((o): o is OutputChunk => o.type === "chunk");
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const found = new Set<string>();
  const visit = (fileName: string) => {
    if (found.has(fileName)) return;
    found.add(fileName);
    const chunk = byName.get(fileName);
    if (!chunk) return;
    for (const next of [...chunk.imports, ...chunk.dynamicImports]) visit(next);
    for (const css of chunk.viteMetadata?.importedCss ?? []) found.add(css);
    for (const asset of chunk.viteMetadata?.importedAssets ?? []) found.add(asset);
  };
  for (const chunk of chunks) if (chunk.facadeModuleId === page) visit(chunk.fileName);
  return [...found];
}

function precacheLists(): Plugin {
  return {
    name: "crowdify-precache",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const built = Object.keys(bundle).filter((file) => !file.startsWith(".vite/"));
      for (const output of Object.values(bundle)) {
        const worker = output.type === "chunk" ? serviceWorkers[output.name] : undefined;
        if (!worker || output.type !== "chunk") continue;
        // Only the scanner's own page and what it loads: other pages' code is not needed offline.
        const ownAssets = new Set(filesOfPage(bundle, resolve(root, worker.scope, "index.html")));
        const shell = built
          .filter((file) => !file.endsWith("sw.js"))
          .filter((file) => file.startsWith(worker.scope) || ownAssets.has(file))
          .map((file) => "/" + file.replace(/index\.html$/, ""));
        // The page itself (emitted by Vite's HTML step, which may run after this one).
        const files = [...new Set([`/${worker.scope}`, ...shell, ...publicFiles(worker.scope)])].sort();
        // The version changes whenever any kept file does (hashed names, and the page's own text).
        const digest = createHash("sha256").update(files.join("\n"));
        for (const other of Object.values(bundle)) {
          if (other !== output) digest.update(other.type === "chunk" ? other.code : other.source);
        }
        const version = digest.digest("hex").slice(0, 16);
        if (!PRECACHE_PLACEHOLDER.test(output.code)) this.error(`${output.fileName} lost its precache placeholder`);
        output.code = output.code.replace(PRECACHE_PLACEHOLDER, () => JSON.stringify(JSON.stringify({ version, files })));
      }
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [precacheLists()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        ...pages,
        ...Object.fromEntries(Object.entries(serviceWorkers).map(([name, w]) => [name, w.source])),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name in serviceWorkers ? `${chunk.name}.js` : "assets/[name]-[hash].js"),
      },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
