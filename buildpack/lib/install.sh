# shellcheck shell=bash
# Putting clock and clockctl into the slug and on the dyno's PATH.
#
# Everything installed names the slug through $HOME at run time: the slug is built in
# /tmp/build_* and runs at /app, so no build-time path may be written into it.

# Copies the binary from BIN_DIR into BUILD_DIR/.heroku-clock/bin, with its `clock` link
# (build::place).
install::binaries() {
	local bin_dir="$1" build_dir="$2"
	build::place "$bin_dir/clockctl" "$build_dir/.heroku-clock/bin"
	output::info "Installed clock and clockctl into .heroku-clock/bin"
}

# Copies the .profile.d script (from TEMPLATES_DIR) that puts them on PATH.
install::profile_script() {
	local templates_dir="$1" build_dir="$2"
	mkdir -p "$build_dir/.profile.d"
	cp -- "$templates_dir/profile.d/heroku-clock.sh" "$build_dir/.profile.d/heroku-clock.sh"
	output::info "Added .profile.d/heroku-clock.sh: clock and clockctl are on PATH in every dyno"
}
