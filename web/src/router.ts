// Routes and the sign-in guard.
import { createRouter, createWebHistory } from 'vue-router'
import { useAuthStore } from '@/stores/auth'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    {
      path: '/auth',
      name: 'auth',
      component: () => import('@/views/AuthView.vue'),
      meta: { guest: true },
    },
    {
      // A shared link's read-only snapshot: public, no sign-in.
      path: '/s/:shareId',
      name: 'shared',
      component: () => import('@/views/SharedView.vue'),
      meta: { public: true },
    },
    {
      path: '/',
      component: () => import('@/views/ShellView.vue'),
      children: [
        { path: '', name: 'new-chat', component: () => import('@/views/ChatView.vue') },
        { path: 'c/:id', name: 'chat', component: () => import('@/views/ChatView.vue') },
        {
          path: 'admin/:tab(users|apps|settings|usage)?',
          name: 'admin',
          component: () => import('@/views/AdminView.vue'),
          meta: { admin: true },
        },
      ],
    },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  const auth = useAuthStore()
  await auth.init()
  if (!auth.user && !to.meta.guest)
    return { name: 'auth', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  if (auth.user && to.meta.guest)
    return typeof to.query.redirect === 'string' ? to.query.redirect : '/'
  if (to.meta.admin && !auth.isAdmin) return '/'
  return true
})
