// The course's small page helpers. Jupyter Book adds every .js file under _static/ to every
// page (scripts/site_fixes.py leaves out require-config.js, which only widget pages need).
(function () {
  "use strict";

  // 1. Figures keep their drawn size on a phone. Each image in the page's content goes into a
  //    box that scrolls sideways (kscale.css turns the scrolling on below 640 px), so its
  //    labels stay as large as they were drawn; a hint says so when the box overflows.
  function boxImages() {
    var article = document.querySelector("article.bd-article") || document.querySelector("main");
    if (!article) { return; }
    var targets = [];
    article.querySelectorAll("img").forEach(function (img) {
      if (img.parentElement && img.parentElement.classList.contains("kscale-scroll")) { return; }
      targets.push(img);
    });
    targets.forEach(function (target) {
      var box = document.createElement("div");
      box.className = "kscale-scroll";
      target.parentNode.insertBefore(box, target);
      box.appendChild(target);
      var hint = document.createElement("p");
      hint.className = "kscale-scroll-hint";
      hint.textContent = "\u2194 The figure is wider than the screen: scroll it sideways.";
      box.parentNode.insertBefore(hint, box.nextSibling);
    });
    markOverflow();
  }
  function markOverflow() {
    document.querySelectorAll(".kscale-scroll").forEach(function (box) {
      box.classList.toggle("kscale-overflows", box.scrollWidth > box.clientWidth + 1);
    });
  }

  // 2. Printed or saved as PDF, a chapter is complete: every collapsed block (hidden code
  //    cells, "Why" boxes) opens for the print and closes again afterwards.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (el) {
      el.setAttribute("open", "");
      opened.push(el);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.removeAttribute("open"); });
    opened = [];
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boxImages);
  } else {
    boxImages();
  }
  window.addEventListener("load", markOverflow);
  window.addEventListener("resize", markOverflow);
})();
