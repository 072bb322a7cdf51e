// Vite: Vue + Tailwind, `@/` alias, `/api` proxied to the `rechat dev` origin.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    // RECHAT_API_ORIGIN lets the dev server talk to a single service while the others are down.
    proxy: { '/api': { target: process.env.RECHAT_API_ORIGIN ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
  build: { outDir: 'dist', chunkSizeWarningLimit: 1500 },
})
