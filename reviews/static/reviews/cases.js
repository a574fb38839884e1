// The case page: the card viewer (Viewer.js) and the keyboard flow. No text lives here:
// every word on the page comes translated from the template.
(function () {
  "use strict";
  var list = document.getElementById("card-images");
  var viewer = null;
  if (list && window.Viewer) {
    viewer = new window.Viewer(list, {
      inline: true, navbar: false, title: false, transition: false, backdrop: false,
      toolbar: false, button: false, initialCoverage: 0.95,
    });
  }
  var views = {
    "zoom-in": function () { viewer.zoom(0.2); },
    "zoom-out": function () { viewer.zoom(-0.2); },
    "fit": function () { viewer.reset(); },
    "rotate": function () { viewer.rotate(90); },
  };
  document.querySelectorAll("[data-view]").forEach(function (button) {
    button.addEventListener("click", function () { if (viewer) { views[button.dataset.view](); } });
  });
  var showCard = document.getElementById("show-card"), showOriginal = document.getElementById("show-original");
  var showing = 0, count = list ? list.querySelectorAll("img").length : 0;
  function show(index) { if (viewer && index < count) { viewer.view(index); showing = index; } }
  if (showCard) { showCard.addEventListener("click", function () { show(0); }); }
  if (showOriginal) { showOriginal.addEventListener("click", function () { show(count - 1); }); }

  var form = document.getElementById("decision-form"), dialog = document.getElementById("confirm");
  function submit(action, reason) {
    document.getElementById("decision-action").value = action;
    document.getElementById("decision-reason").value = reason;
    form.submit();
  }
  function decide(action) {
    if (!form) { return; }
    if (action === "approve") { submit("approve", document.getElementById("approve-reason").value); return; }
    dialog.dataset.action = action;
    dialog.querySelectorAll("[data-for]").forEach(function (el) { el.hidden = el.dataset.for !== action; });
    dialog.showModal();
    document.getElementById("confirm-yes").focus();
  }
  if (dialog) {
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "yes") {
        var action = dialog.dataset.action;
        submit(action, document.getElementById(action + "-reason").value);
      }
    });
  }
  document.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", function () { decide(button.dataset.action); });
  });
  var keys = { a: "approve", r: "reject", u: "reupload" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || (dialog && dialog.open)) { return; }
    if (event.target.closest("input, textarea, select")) { return; }
    var key = event.key.toLowerCase();
    if (keys[key] && form) { event.preventDefault(); decide(keys[key]); }
    else if (key === "n") { event.preventDefault(); document.getElementById("next-form").submit(); }
    else if (key === "o") { event.preventDefault(); show(showing === 0 ? count - 1 : 0); }
  });
})();
