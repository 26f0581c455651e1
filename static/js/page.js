/* What templates ask for with data attributes instead of inline handlers and style attributes, which
   the Content-Security-Policy refuses (walks/security.py):
   - data-print on a button prints the page;
   - data-confirm="question" on a form asks before the form is sent;
   - data-colour="#hex" sets a colour from data (a category's colour) on the element's style, in the
     CSS property named by data-colour-property (background-color when there is none). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  document.querySelectorAll("[data-colour]").forEach(function (node) {
    node.style.setProperty(node.getAttribute("data-colour-property") || "background-color",
                           node.getAttribute("data-colour"));
  });
})();
