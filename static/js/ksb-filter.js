// Filters the KSB checklist as you type. Without JavaScript the "Find" button does the
// same on the server, keeping what was ticked.
export function initKsbFilter(root = document) {
  const input = root.querySelector("[data-ksb-filter]");
  if (!input) return;
  const options = Array.from(root.querySelectorAll(".psp-ksb-option"));
  const button = root.querySelector("[data-ksb-filter-button]");
  if (button) button.hidden = true;
  const apply = () => {
    const query = input.value.trim().toLowerCase();
    for (const option of options) {
      const text = option.dataset.ksbText || "";
      option.hidden = query !== "" && !text.toLowerCase().includes(query);
    }
  };
  input.addEventListener("input", apply);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  apply();
}
