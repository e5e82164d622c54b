// Starts Swagger UI on /api/v1/docs; the document's URL comes from the page (no inline script,
// so the app's Content-Security-Policy `script-src 'self'` holds on this page too).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    oauth2RedirectUrl: window.location.origin + root.getAttribute("data-oauth2-redirect-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
