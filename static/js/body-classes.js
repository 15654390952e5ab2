// Marks the page as having JavaScript, as GOV.UK Frontend expects, without an inline script.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
