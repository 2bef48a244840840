// The screens and who may open them: each route names the action the server must grant
// (server/auth/policy.ts); a signed-out visitor is sent to sign in and brought back afterwards.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useSession } from './stores/session.ts';

declare module 'vue-router' {
  interface RouteMeta {
    /** The action the screen needs; absent for public screens. */
    action?: string;
    /** The screen's name in the navigation (absent: not in the navigation). */
    nav?: string;
    public?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/search', name: 'search', component: () => import('./views/SearchView.vue'), meta: { action: 'search', nav: 'Search' } },
  { path: '/messages/:id', name: 'message', component: () => import('./views/MessageView.vue'), meta: { action: 'message.read' } },
  { path: '/matters', name: 'matters', component: () => import('./views/MattersView.vue'), meta: { action: 'matters.read', nav: 'Matters' } },
  { path: '/matters/:id', name: 'matter', component: () => import('./views/MatterView.vue'), meta: { action: 'matters.read' } },
  { path: '/holds', name: 'holds', component: () => import('./views/HoldsView.vue'), meta: { action: 'holds.read', nav: 'Holds' } },
  { path: '/retention', name: 'retention', component: () => import('./views/RetentionView.vue'), meta: { action: 'categories.read', nav: 'Retention' } },
  { path: '/disposition', name: 'disposition', component: () => import('./views/DispositionView.vue'), meta: { action: 'retention.review', nav: 'Disposition' } },
  { path: '/certificates', name: 'certificates', component: () => import('./views/CertificatesView.vue'), meta: { action: 'certificates.read', nav: 'Certificates' } },
  { path: '/certificates/:id', name: 'certificate', component: () => import('./views/CertificateView.vue'), meta: { action: 'certificates.read' } },
  { path: '/audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { action: 'audit.read', nav: 'Audit' } },
  { path: '/admin', name: 'admin', component: () => import('./views/AdminView.vue'), meta: { action: 'users.manage', nav: 'Admin' } },
  { path: '/account', name: 'account', component: () => import('./views/AccountView.vue'), meta: { action: 'self' } },
  { path: '/', name: 'home', component: () => import('./views/HomeView.vue'), meta: { action: 'self' } },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { public: true } },
];

/** The first screen a role may use, for the landing page and after sign-in. */
export function homeFor(can: (action: string) => boolean): string {
  for (const r of routes) if (r.meta?.nav && r.meta.action && can(r.meta.action)) return r.path;
  return '/account';
}

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const session = useSession();
  if (!session.loaded) await session.refresh();
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: 'login', query: { next: to.fullPath } };
  if (to.name === 'home') return homeFor((a) => session.can(a));
  if (to.meta.action && !session.can(to.meta.action)) return { name: 'not-found', params: { rest: to.path.split('/').slice(1) } };
  return true;
});
