/// <reference types="vite/client" />
import 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    guest?: boolean
    admin?: boolean
    /** Reachable without signing in (a shared link). */
    public?: boolean
  }
}
