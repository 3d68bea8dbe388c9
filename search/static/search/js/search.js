// Progressive enhancement for /search/: the page works without this file.
// - ticking a facet or changing the sort submits the form (the "Apply filters" button hides);
// - the search box offers type-ahead titles from /search/suggest/ in its <datalist>.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) {
    return;
  }
  var apply = form.querySelector("[data-search-apply]");
  if (apply) {
    apply.classList.add("display-none");
  }
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=checkbox], select")) {
      var page = form.querySelector("input[name=page]");
      if (page) {
        page.remove();
      }
      form.submit();
    }
  });

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
