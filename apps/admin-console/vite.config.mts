import { defineConfig } from 'vite';

// `vite build apps/admin-console` from the repository root: the root is this folder, the output the
// repository's dist/admin-console, which admin-api serves at /console (no CDN: every asset is in there).
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../../dist/admin-console',
    emptyOutDir: true,
    // No source maps: the console is served to anyone who asks, and its sources are not theirs to read.
    sourcemap: false,
    // Inline nothing from outside; assets get hashed names so they can be cached forever.
    assetsInlineLimit: 0,
  },
  server: {
    // `npx vite apps/admin-console` while admin-api runs on 3000: the API is proxied, the console hot-reloads.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
