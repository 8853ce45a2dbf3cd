import { defineConfig } from "vite";

// Everything the console needs is bundled: no CDN at run time, and a strict Content-Security-Policy
// (script-src 'self') holds because nothing is inlined into index.html.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
});
