#!/usr/bin/env bash
# Translation catalogues (Babel). See "Adding a language" in the README.
#   bash scripts/i18n.sh extract        # templates and Python -> convene/locale/messages.pot
#   bash scripts/i18n.sh init LANG      # start convene/locale/LANG/LC_MESSAGES/messages.po
#   bash scripts/i18n.sh update         # merge the new .pot into every language's .po
#   bash scripts/i18n.sh compile        # .po -> .mo (what the server reads)
#   bash scripts/i18n.sh all            # extract, update and compile
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
[ -x "$PYBABEL" ] || PYBABEL=pybabel
LOCALE_DIR=convene/locale
POT="$LOCALE_DIR/messages.pot"

extract() {
  mkdir -p "$LOCALE_DIR"
  local version
  version="$(python3 -c 'import re,pathlib;print(re.search(r"^version = \"(.+)\"", pathlib.Path("pyproject.toml").read_text(), re.M).group(1))')"
  # N_() marks strings that are translated later, where they are shown (members/choices.py).
  "$PYBABEL" extract -F babel.cfg -k N_ --sort-output --no-wrap \
    --project Convene --version "$version" --copyright-holder "The Convene authors" \
    -o "$POT" .
}

update() {
  # No fuzzy guesses: a wrong "close enough" translation is worse than English.
  "$PYBABEL" update -i "$POT" -d "$LOCALE_DIR" --no-wrap --no-fuzzy-matching --ignore-obsolete
}

compile() {
  "$PYBABEL" compile -d "$LOCALE_DIR" --statistics
}

case "${1:-}" in
  extract) extract ;;
  init)
    [ -n "${2:-}" ] || { echo "usage: $0 init LANG (for example: de, pt_BR, fa)" >&2; exit 2; }
    "$PYBABEL" init -i "$POT" -d "$LOCALE_DIR" -l "$2" --no-wrap
    ;;
  update) update ;;
  compile) compile ;;
  all) extract; update; compile ;;
  *) echo "usage: $0 extract | init LANG | update | compile | all" >&2; exit 2 ;;
esac
