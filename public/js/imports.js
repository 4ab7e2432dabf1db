// Import upload page. htmx reports the bytes sent; the server reads the upload only as fast as it
// checks and stores rows, so the bar follows the check too. A file refused as too large (413)
// is answered with the form and its message, which htmx would otherwise not swap.
document.addEventListener('htmx:xhr:progress', (event) => {
  if (event.target.id !== 'imports-upload-form') return;
  const bar = document.getElementById('imports-upload-progress');
  const { loaded, total } = event.detail;
  if (bar && total) bar.value = Math.round((loaded / total) * 100);
});

document.addEventListener('htmx:beforeSwap', (event) => {
  if (event.detail.elt?.id === 'imports-upload-form' && event.detail.xhr.status === 413) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
