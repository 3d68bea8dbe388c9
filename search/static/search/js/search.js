// Progressive enhancement for /search/: the page works without this file.
// - facets and the sort order apply with the "Apply filters" button, never on a tick (a reload
//   on every tick sent keyboard and screen-reader users back to the top of the page);
// - after applying, focus goes to the result count (announced) instead of the page top;
// - the search box offers type-ahead titles from /search/suggest/ in its <datalist>.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) {
    return;
  }
  var apply = form.querySelector("[data-search-apply]");
  var key = "portal-search-applied";
  if (apply && window.sessionStorage) {
    apply.addEventListener("click", function () {
      var page = form.querySelector("input[name=page]");
      if (page) {
        page.remove();
      }
      window.sessionStorage.setItem(key, "1");
    });
    if (window.sessionStorage.getItem(key)) {
      window.sessionStorage.removeItem(key);
      var heading = document.getElementById("results-heading");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  }

  var input = document.getElementById("search-q");
  var list = document.getElementById("search-suggestions");
  var url = form.getAttribute("data-suggest-url");
  if (!input || !list || !url || !window.fetch) {
    return;
  }
  var timer = null;
  var lastAsked = "";
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var text = input.value.trim();
    if (text.length < 2 || text === lastAsked) {
      return;
    }
    timer = window.setTimeout(function () {
      lastAsked = text;
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          list.textContent = "";
          (data.suggestions || []).forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.value;
            option.label = item.type_label;
            list.appendChild(option);
          });
        })
        .catch(function () { /* type-ahead is optional */ });
    }, 200);
  });
})();
