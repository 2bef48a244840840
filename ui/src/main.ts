import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { router } from './router.ts';
import { onUnauthorised } from './api.ts';
import { useSession } from './stores/session.ts';
import './styles.css';

const app = createApp(App);
app.use(createPinia());
app.use(router);
onUnauthorised(() => {
  const session = useSession();
  const wasSignedIn = session.signedIn;
  session.markExpired();
  const here = router.currentRoute.value;
  if (wasSignedIn && !here.meta.public) void router.push({ name: 'login', query: { next: here.fullPath, expired: '1' } });
});
app.mount('#app');
