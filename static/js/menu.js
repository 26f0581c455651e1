// On a phone, fold the main menu behind a button; without JavaScript the menu simply stays open.
(function () {
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!toggle || !nav || !nav.querySelector("li")) return;
  document.documentElement.classList.add("js-menu");
  toggle.hidden = false;
  nav.setAttribute("data-folded", "");
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", String(!open));
    if (open) nav.setAttribute("data-folded", ""); else nav.removeAttribute("data-folded");
  });
})();
