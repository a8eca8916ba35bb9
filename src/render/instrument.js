// Installed by the harness in every frame before its scripts run; acts only in the view's frame.
// It reports what a user's browser console would show (uncaught errors, console.error, CSP
// violations) and the view's visible text after each change, and, on the Apps SDK path, gives the
// view the window.openai object ChatGPT injects.
(function () {
  var cfg = __CONFIG__;
  if (location.href.indexOf(cfg.viewUrl) !== 0) return;
  var binding = window[cfg.binding];
  function report(kind, data) {
    data.kind = kind;
    try { binding(JSON.stringify(data)); } catch (e) { /* the binding is the harness's, never the view's concern */ }
  }
  window.addEventListener("securitypolicyviolation", function (e) {
    report("csp", { blockedUri: e.blockedURI, directive: e.effectiveDirective || e.violatedDirective });
  });
  window.addEventListener("error", function (e) {
    if (e instanceof ErrorEvent) {
      report("error", { message: e.message, where: (e.filename || "") + ":" + e.lineno });
    }
  });
  window.addEventListener("unhandledrejection", function (e) {
    var reason = e.reason && e.reason.message ? e.reason.message : String(e.reason);
    report("error", { message: "unhandled promise rejection: " + reason, where: "" });
  });
  var consoleError = console.error;
  console.error = function () {
    report("console", { message: Array.prototype.map.call(arguments, String).join(" ") });
    return consoleError.apply(console, arguments);
  };
  function text() {
    report("text", { text: document.body ? document.body.innerText : "" });
  }
  document.addEventListener("DOMContentLoaded", function () {
    text();
    new MutationObserver(text).observe(document.documentElement,
      { subtree: true, childList: true, characterData: true, attributes: true });
  });
  if (cfg.openai) {
    var openai = cfg.openai;
    openai.setWidgetState = function (state) { openai.widgetState = state; return Promise.resolve(); };
    openai.callTool = function (name) { return Promise.reject(new Error("the conformance host does not run tools from views (" + name + ")")); };
    openai.sendFollowUpMessage = function () { return Promise.resolve(); };
    openai.openExternal = function () {};
    openai.requestDisplayMode = function (o) { return Promise.resolve({ mode: (o && o.mode) || "inline" }); };
    window.openai = openai;
  }
})();
