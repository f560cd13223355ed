# shellcheck shell=bash
# Installed by the heroku-clock buildpack into the app's .profile.d/, which every dyno
# sources at boot. It puts `clock` and `clockctl` on PATH. It names the slug through $HOME
# (/app on a dyno) because the slug is built elsewhere (/tmp/build_*): no build-time path
# may appear here.
export PATH="$HOME/.heroku-clock/bin:$PATH"
