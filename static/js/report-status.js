// Keeps a report's page up to date while its PDF is built: every 2 seconds it asks the
// server for the page, swaps in the status part, and says what changed in a status
// message. (A timed reload would take screen reader users back to the top of the page
// each time: WCAG 2.2.1.) Without JavaScript the page has a "Check now" link instead.
const PENDING = ["queued", "running"];
const INTERVAL_MS = 2000;

export function initReportStatus(root = document) {
  let region = root.querySelector("[data-report-status]");
  const announcer = root.querySelector("[data-report-announcer]");
  if (!region || !announcer) return;

  const check = async () => {
    try {
      const response = await fetch(window.location.href, { cache: "no-store" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector("[data-report-status]");
        if (fresh && fresh.innerHTML !== region.innerHTML) {
          const changed = fresh.dataset.reportStatus !== region.dataset.reportStatus;
          region.replaceWith(fresh);
          region = fresh;
          document.title = page.title;
          if (changed) {
            announcer.textContent = fresh.dataset.reportAnnouncement || "";
            // "Your PDF is being built" (the request's confirmation) is no longer true.
            if (!PENDING.includes(fresh.dataset.reportStatus)) {
              root.querySelectorAll(".govuk-notification-banner--success").forEach((banner) => {
                banner.remove();
              });
            }
          }
        }
      }
    } catch {
      // The network or the server had a moment: the next check tries again.
    }
    if (PENDING.includes(region.dataset.reportStatus)) window.setTimeout(check, INTERVAL_MS);
  };

  if (PENDING.includes(region.dataset.reportStatus)) window.setTimeout(check, INTERVAL_MS);
}
