/**
 * Vite builds the app into dist/, which the gateway serves (decision 0027). Preact's JSX through
 * esbuild's automatic runtime: no Babel, no plugin. No inline script or style in the output, so
 * the gateway's CSP can allow 'self' only.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The module-preload polyfill is inlined otherwise; every browser we support has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
