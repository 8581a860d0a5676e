/*
 * Starts Swagger UI on the platform's description, in the page's language. A file of its own:
 * the platform's Content-Security-Policy allows no inline script. No validator badge (it would
 * send the description to another site); no deep links (Swagger UI puts a link inside each
 * operation's button, a control within a control that keyboard and screen-reader users trip on).
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
  new MutationObserver(function () { nameSelects(document); }).observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
});
