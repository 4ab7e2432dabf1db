// Behaviour that would otherwise need inline scripts (blocked by the CSP).
document.addEventListener('htmx:responseError', (event) => {
  const flash = document.getElementById('flash');
  if (!flash) return;
  const p = document.createElement('p');
  p.className = 'flash flash-error';
  p.setAttribute('role', 'alert');
  const status = event.detail.xhr.status;
  p.textContent = status === 403 ? 'You are not allowed to do that, or the page has expired. Reload and try again.'
    : status >= 500 ? 'Something went wrong. Try again in a moment.' : 'The request was refused.';
  flash.replaceChildren(p);
});

// Buttons with data-confirm ask before submitting their form.
document.addEventListener('submit', (event) => {
  const button = event.submitter;
  const message = button?.dataset?.confirm ?? event.target?.dataset?.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
