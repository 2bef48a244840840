// The busy flag, error line and status message every form and panel shows around an API call:
// one place that clears them, turns an ApiError into words and never leaves a button disabled.
import { ref } from 'vue';
import { describe } from '../api.ts';

export function useAction() {
  const busy = ref(false);
  const error = ref('');
  const message = ref('');

  /** Runs fn; answers false (with `error` set) when it threw. */
  async function act(fn: () => Promise<unknown>): Promise<boolean> {
    error.value = '';
    message.value = '';
    busy.value = true;
    try {
      await fn();
      return true;
    } catch (err) {
      error.value = describe(err);
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, message, act };
}
