// Orders pages: behaviour the CSP keeps out of inline scripts.

// The invoice's Print button.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-print]') : null;
  if (button) window.print();
});

// "Add line" on the new-order form: put the cursor in the new line's product field.
document.addEventListener('htmx:afterSwap', (event) => {
  if (event.detail.target && event.detail.target.id === 'orders-new-lines' && event.detail.requestConfig?.verb === 'get'
    && event.detail.pathInfo?.requestPath?.startsWith('/orders/new/line')) {
    const rows = event.detail.target.querySelectorAll('tr');
    rows[rows.length - 1]?.querySelector('input[name="product"]')?.focus();
  }
});
