/* Forum niceties. Plain JS; every page works without it. */
(function () {
  "use strict";
  // Reply form: the quote of the post you answer is already there; put the caret after it,
  // so you start typing your answer below the quote rather than above it.
  var box = document.querySelector("textarea[data-caret-end]");
  if (box && box.value) {
    box.focus();
    var end = box.value.length;
    box.setSelectionRange(end, end);
    box.scrollTop = box.scrollHeight;
  }
})();
