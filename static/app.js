/* Small progressive touches; every page works without them. */
(function () {
  "use strict";
  // After a failed submit, move focus to the error summary so it is read out and in view.
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
  // Close the "More" menu when someone taps elsewhere or presses Escape.
  var menus = document.querySelectorAll("details.more");
  function closeAll(except) {
    menus.forEach(function (menu) { if (menu !== except) { menu.removeAttribute("open"); } });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.more") : null;
    closeAll(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    // Focus inside a menu that closes would be lost: give it back to the menu's button.
    var inside = event.target.closest ? event.target.closest("details.more[open]") : null;
    closeAll(null);
    if (inside) { inside.querySelector("summary").focus(); }
  });
  // Tabbing past the last item closes the menu, so it never covers the link that has focus.
  menus.forEach(function (menu) {
    menu.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) { menu.removeAttribute("open"); }
    });
  });
})();
