// Loaded right after require.js on pages that show saved Jupyter widgets (nb_ipywidgets_js
// in _config.yml; scripts/site_fixes.py keeps Jupyter Book from adding it to every page).
(function () {
  if (typeof window.require !== "function" || !window.require.config) { return; }
  // Load the Jupyter widget HTML manager (and, through it, the icon fonts) from this
  // site's _static/html-manager, not from a CDN.
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^/]*$/, "") : "_static/";
  window.require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": base + "html-manager",
      // Any other @jupyter-widgets module (e.g. the anonymous define of embed-amd.js on a
      // cold load) also resolves here, so webpack's public path, and the icon fonts it
      // loads, point at _static/html-manager rather than at the page's own folder.
      "@jupyter-widgets": base + "html-manager"
    }
  });

  // The html-manager typesets widget labels with the MathJax 2 API
  // (MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])); the site runs MathJax 3, which has
  // no Hub. Forward those calls to MathJax 3 instead of throwing a TypeError, so widget
  // descriptions such as r'$\alpha$' are typeset.
  var hub = {
    Queue: function () {
      var mj = window.MathJax;
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2] &&
            mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
          (function (el) {
            // The book marks its content "mathjax_ignore"; opt this label back in.
            if (el.classList) { el.classList.add("mathjax_process"); }
            mj.startup.promise
              .then(function () { return mj.typesetPromise([el]); })
              .catch(function (err) { console.warn("MathJax typeset failed:", err); });
          })(job[2]);
        }
      }
    }
  };
  function install() {
    if (window.MathJax && !window.MathJax.Hub) { window.MathJax.Hub = hub; }
  }
  install();  // on the MathJax config object, if MathJax has not started yet
  document.addEventListener("DOMContentLoaded", install);  // on MathJax 3 itself
})();
