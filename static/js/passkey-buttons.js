// The passkey buttons of allauth's pages (templates/mfa/) are submit buttons, so each form
// has one (and without JavaScript the server says what is missing). With JavaScript the
// button must not send the form itself: allauth's script (mfa/js/webauthn.js) asks the
// browser for the passkey first and then sends the form with it.
export function initPasskeyButtons(root = document) {
  root.querySelectorAll("[data-passkey-button]").forEach((button) => {
    button.addEventListener("click", (event) => event.preventDefault());
  });
}
