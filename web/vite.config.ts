// Vite: Vue + Tailwind, `@/` alias, `/api` proxied to the `rechat dev` origin.
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type ProxyOptions } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

/**
 * `/api` goes to one origin (RECHAT_API_ORIGIN, default the `rechat dev` port 8080). With
 * RECHAT_SPLIT_SERVICES=1 each prefix goes straight to its service on the default ports
 * (docs/ARCHITECTURE.md), for running the services as separate processes.
 */
function apiProxy(): Record<string, ProxyOptions> {
  if (process.env.RECHAT_SPLIT_SERVICES !== '1') {
    return { '/api': { target: process.env.RECHAT_API_ORIGIN ?? 'http://127.0.0.1:8080' } }
  }
  const auth = 'http://127.0.0.1:8001'
  const gateway = 'http://127.0.0.1:8002'
  const history = 'http://127.0.0.1:8003'
  return {
    '/api/auth': { target: auth },
    '/api/admin/users': { target: auth },
    '/api/admin/settings': { target: auth },
    '/api/admin/groups': { target: auth },
    '/api/admin/apps': { target: gateway },
    '/api/apps': { target: gateway },
    '/api/chat': { target: gateway },
    '/api/files': { target: gateway },
    '/api/conversations': { target: history },
    '/api/folders': { target: history },
    '/api/shares': { target: history },
    '/api/me/usage': { target: history },
    '/api/admin/usage': { target: history },
  }
}

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: { proxy: apiProxy() },
  preview: { proxy: apiProxy() },
  build: { outDir: 'dist', chunkSizeWarningLimit: 1500 },
})
