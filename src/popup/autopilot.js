// Injected into every document of an authorization popup before its own scripts run. It does what a
// user does: signs in, presses the consent button, and otherwise reports the page it is stuck on
// through the `__metabindPopup` binding. The redirect back to the host is caught by the driver, not here.
(function () {
  "use strict";
  if (window.top !== window || location.protocol === "about:") return;
  var cfg = __CONFIG__;
  var CONSENT = /\b(authori[sz]e|allow|approve|accept|consent|continue|grant)\b/i;
  var REFUSE = /\b(deny|cancel|decline|reject)\b/i;

  function report(kind, extra) {
    var message = { kind: kind, url: location.href, status: status(), text: visibleText() };
    for (var k in extra || {}) message[k] = extra[k];
    try { window.__metabindPopup(JSON.stringify(message)); } catch (e) { /* binding gone: popup closing */ }
  }
  function status() {
    var nav = performance.getEntriesByType("navigation")[0];
    return (nav && nav.responseStatus) || 0;
  }
  function visibleText() {
    var body = document.body ? document.body.innerText || "" : "";
    return body.replace(/\s+/g, " ").trim().slice(0, 600);
  }
  function visible(el) {
    return !!el && !el.disabled && el.type !== "hidden" && el.getClientRects().length > 0;
  }
  function pick(selector, fallback) {
    if (selector) return document.querySelector(selector);
    return Array.prototype.slice.call(document.querySelectorAll(fallback)).filter(visible)[0] || null;
  }
  // Frameworks track values through the native setter and input events, not `el.value = …`.
  function setValue(el, value) {
    var descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), "value");
    if (descriptor && descriptor.set) descriptor.set.call(el, value); else el.value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function label(el) {
    return (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  }
  function submit(form, field) {
    var button = cfg.selectors.submit ? document.querySelector(cfg.selectors.submit)
      : form && Array.prototype.slice.call(form.querySelectorAll("button,input[type=submit]")).filter(visible)[0];
    if (button) { button.click(); return; }
    if (form && form.requestSubmit) { form.requestSubmit(); return; }
    if (field) field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  }
  function count(key) {
    var n = Number(sessionStorage.getItem(key) || 0);
    sessionStorage.setItem(key, String(n + 1));
    return n;
  }

  function act() {
    var password = pick(cfg.selectors.password, "input[type=password]");
    var user = pick(cfg.selectors.username,
      "input[type=email],input[autocomplete=username],input[name*=user i],input[name*=email i],input[name*=login i],input[id*=user i],input[id*=email i]");
    if (password) {
      if (!cfg.credentials) return report("needs_credentials");
      // Our own sign-in page coming back means the credentials were refused.
      if (count("__metabind_login") >= 1) return report("login_failed");
      // Progress, not an outcome: the driver notes that the sign-in page was shown and filled in.
      report("signing_in");
      if (user) setValue(user, cfg.email);
      setValue(password, cfg.password);
      submit(password.form, password);
      return true;
    }
    if (user && cfg.credentials && count("__metabind_username") < 1) {
      // A two-step sign-in: the username first, the password on the next page.
      setValue(user, cfg.email);
      submit(user.form, user);
      return true;
    }
    var consent = cfg.selectors.consent ? document.querySelector(cfg.selectors.consent)
      : Array.prototype.slice.call(document.querySelectorAll("button,input[type=submit],[role=button]"))
          .filter(function (el) { return visible(el) && CONSENT.test(label(el)) && !REFUSE.test(label(el)); })[0];
    if (consent) {
      if (count("__metabind_consent") >= 3) return report("stopped", { why: "consent repeated" });
      consent.click();
      return true;
    }
    return false;
  }

  function settle() {
    if (act() !== false) return;
    // Nothing to do yet: the page may still render its form (a script-built sign-in). Give it until
    // `load` and a moment of quiet DOM before saying what the user is looking at.
    var done = false;
    var finish = function () {
      if (done) return;
      done = true;
      observer.disconnect();
      if (act() === false) {
        var back = Array.prototype.slice.call(document.querySelectorAll("a[href]"))
          .map(function (a) { return a.href; })
          .filter(function (href) { return href.indexOf(cfg.redirectUri) === 0; })[0] || null;
        report("stopped", { returnLink: back });
      }
    };
    var timer = null;
    var observer = new MutationObserver(function () {
      if (act() !== false) { done = true; observer.disconnect(); return; }
      clearTimeout(timer);
      timer = setTimeout(finish, 300);
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
    var quiet = function () { timer = setTimeout(finish, 300); };
    if (document.readyState === "complete") quiet(); else window.addEventListener("load", quiet);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", settle);
  else settle();
})();
