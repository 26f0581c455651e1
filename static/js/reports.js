// Fault reports: a send button is disabled once pressed (the server refuses a second send anyway),
// and the printable page gets a print button.
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    form.querySelectorAll("button").forEach(function (button) {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
});
var printButton = document.getElementById("print-button");
if (printButton) {
  printButton.addEventListener("click", function () { window.print(); });
}
