// The pages' only script of their own. The Content-Security-Policy allows no inline script,
// so buttons that print say so with data-print instead of an onclick attribute.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});

// An action that cannot be taken back asks first, saying what follows (data-confirm).
document.addEventListener("click", (event) => {
  const asking = event.target instanceof Element && event.target.closest("[data-confirm]");
  if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
