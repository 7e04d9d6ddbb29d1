// Sharing an invite: the phone's share sheet where there is one, and copy-to-clipboard. The links work without it.
(function () {
  "use strict";
  var box = document.querySelector(".share");
  if (!box) { return; }
  var text = box.getAttribute("data-share-text");
  var url = box.getAttribute("data-share-url");
  var native = box.querySelector(".share__native");
  var copy = box.querySelector(".share__copy");
  if (navigator.share && native) {
    native.hidden = false;
    native.addEventListener("click", function () { navigator.share({ text: text, url: url }).catch(function () {}); });
  }
  if (navigator.clipboard && copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(function () { copy.textContent = copy.getAttribute("data-copied"); });
    });
  }
})();
