// Controls for admins only: a viewer's page has none of them (the server refuses a viewer's writes anyway).

import { messageOf, postJson } from './session.js';

/** Shows the admin controls (marked `data-admin` in the page) and wires the add-camera dialog. */
export function enableAdminControls() {
  for (const el of document.querySelectorAll('[data-admin]')) el.hidden = false;
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('add-camera-dialog'));
  const form = /** @type {HTMLFormElement} */ (document.getElementById('add-camera-form'));
  const error = document.getElementById('add-camera-error');
  document.getElementById('add-camera').addEventListener('click', () => {
    error.hidden = true;
    form.reset();
    dialog.showModal();
  });
  form.addEventListener('reset', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const body = { id: String(data.get('id') ?? '').trim(), url: String(data.get('url') ?? '').trim(), ...(name ? { name } : {}) };
    let problem;
    try {
      const response = await postJson('api/cameras', body);
      if (!response.ok) problem = (await messageOf(response)) ?? `HTTP ${response.status}`;
    } catch (failure) {
      problem = failure instanceof Error ? failure.message : String(failure);
    }
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    dialog.close(); // the camera list poll shows the new tile
  });
}
