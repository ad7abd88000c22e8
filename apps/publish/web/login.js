// The sign-in screen: shown instead of the live view while nobody is signed in.

import { signIn } from './session.js';

/** Shows the form; a successful sign-in reloads the page into the live view. */
export function showLogin(reason) {
  document.body.dataset.auth = 'out';
  const form = /** @type {HTMLFormElement} */ (document.getElementById('login-form'));
  const error = document.getElementById('login-error');
  const say = (text) => {
    error.hidden = !text;
    error.textContent = text ?? '';
  };
  if (reason) say(reason);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    say(null);
    const problem = await signIn(String(data.get('username') ?? ''), String(data.get('password') ?? ''));
    button.disabled = false;
    if (problem) {
      say(problem);
      form.elements.namedItem('password').select();
      return;
    }
    location.reload();
  });
  form.elements.namedItem('username').focus();
}
