/*
 * Starts Swagger UI on the platform's description, in the page's language. A file of its own:
 * the platform's Content-Security-Policy allows no inline script. No validator badge (it would
 * send the description to another site); no deep links (Swagger UI puts a link inside each
 * operation's button, a control within a control that keyboard and screen-reader users trip on).
 * The tag filter is on: past 150 operations and sections Swagger UI draws only what is on screen
 * (a virtual list), so the browser's find-in-page no longer reaches every route, and the filter
 * (by section: "auth", "etrading", ...) is how a reader goes straight to one.
 */
window.addEventListener("DOMContentLoaded", function () {
  var lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json?lang=" + lang,
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    filter: true,
  });

  // Swagger UI's choice lists (a parameter's values, a response's media type) have no name a
  // screen reader can announce; each is named by the row or control it belongs to.
  function nameSelects(root) {
    var selects = root.querySelectorAll("select:not([aria-label]):not([aria-labelledby])");
    for (var i = 0; i < selects.length; i++) {
      var s = selects[i];
      if (s.id && document.querySelector('label[for="' + s.id + '"]')) continue;
      var row = s.closest("tr");
      var param = row && row.querySelector(".parameter__name");
      var label = param ? param.textContent.replace(/\s*\*\s*$/, "").trim() : s.closest(".response-control-media-type, .body-param-content-type, .content-type-wrapper") ? (lang === "en" ? "Media type" : "媒体类型") : lang === "en" ? "Choice" : "选项";
      s.setAttribute("aria-label", label);
    }
  }
  // The filter box has only a placeholder, in English: it gets a name and a hint in the page's language.
  function nameFilter(root) {
    var input = root.querySelector("input.operation-filter-input:not([aria-label])");
    if (!input) return;
    input.setAttribute("aria-label", lang === "en" ? "Filter the operations by section" : "按分组筛选接口");
    input.setAttribute("placeholder", lang === "en" ? "Section, e.g. auth" : "分组，如 auth、etrading");
  }
  new MutationObserver(function () { nameSelects(document); nameFilter(document); }).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
});
