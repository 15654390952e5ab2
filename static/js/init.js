// Starts the GOV.UK Frontend and MOJ Frontend components on the page.
import { initAll as initGovuk } from "../build/govuk-frontend.min.js";
import { initAll as initMoj } from "../build/moj-frontend.min.js";
import { initKsbFilter } from "./ksb-filter.js";
import { initPasskeyButtons } from "./passkey-buttons.js";
import { initReportStatus } from "./report-status.js";

initGovuk();
initMoj();
initKsbFilter();
initPasskeyButtons();
initReportStatus();
