// The UI build: one Vue 3 single-page app, served by the Stele server from ui/dist.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts or styles: the server's CSP allows 'self' only.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
