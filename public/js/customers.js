// Customer list behaviour (no inline scripts: the CSP blocks them). htmx restores earlier pages
// from its history cache as markup, which holds the search box's original value rather than
// what was typed: put back the search of the restored address.
if (!window.customersListReady) {
  window.customersListReady = true;
  document.addEventListener('htmx:historyRestore', () => {
    const box = document.getElementById('customers-q');
    if (box) box.value = new URLSearchParams(window.location.search).get('q') ?? '';
  });
}
