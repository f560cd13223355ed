# shellcheck shell=bash
# Building clock and clockctl from the buildpack's own source, once per source version.
#
# They are one binary: `clockctl` is the clock when it is called `clock`, so only it is
# compiled, and `clock` is a symbolic link to it (as rustup's `cargo` is to `rustup`),
# which halves both the link time and the slug.
#
# A stamp (one SHA-256 over Cargo.toml, Cargo.lock, src/, templates/ and the toolchain pin)
# names the source. The built binaries are kept in the build cache beside the stamp they
# were built from; a later build of the same buildpack version finds a matching stamp and
# reuses them without running cargo at all. CARGO_HOME and CARGO_TARGET_DIR live in the
# cache too, so a new version rebuilds only what changed.

# Prints the stamp of the source in SOURCE_DIR.
build::stamp() {
	local source_dir="$1"
	(
		cd -- "$source_dir" || return
		find Cargo.toml Cargo.lock src templates buildpack/toolchain.env -type f -print0 |
			LC_ALL=C sort -z |
			xargs -0 sha256sum |
			sha256sum |
			cut -d ' ' -f 1
	)
}

# Succeeds when BIN_DIR holds both binaries, built from the source that STAMP names.
build::is_cached() {
	local bin_dir="$1" stamp="$2"
	[[ -x "$bin_dir/clock" && -x "$bin_dir/clockctl" && -f "$bin_dir/stamp" ]] &&
		[[ "$(cat -- "$bin_dir/stamp")" == "$stamp" ]]
}

# Builds the binaries from SOURCE_DIR with cargo, keeping cargo's home and target directory
# under CACHE_DIR (exported as CARGO_HOME and CARGO_TARGET_DIR, so the binaries end up in
# $CARGO_TARGET_DIR/release). Nothing is written into SOURCE_DIR. Stops the build if cargo
# fails.
#
# HEROKU_CLOCK_CARGO_DIR, when set, replaces CACHE_DIR here. It exists for the buildpack's
# own tests and is not meant for apps: cargo's fingerprints name the path of every crate's
# source under CARGO_HOME, so the classic and the Cloud Native end-to-end tests point both
# buildpacks at one directory to compile the release binaries once, not once each.
build::run_cargo() {
	local source_dir="$1" cache_dir="${HEROKU_CLOCK_CARGO_DIR:-$2}"
	export CARGO_HOME="$cache_dir/cargo"
	export CARGO_TARGET_DIR="$cache_dir/target"
	# One "Downloaded" line per crate is noise in a build log; the "Compiling" lines show
	# progress through a build that takes minutes, and errors are kept whole.
	if ! cargo build --release --locked --bin clockctl --manifest-path "$source_dir/Cargo.toml" 2>&1 |
		sed -u '/^ *Downloaded [^ ]* v[^ ]*$/d' | output::indent; then
		output::error "Error: could not build clock and clockctl." \
			"cargo stopped with an error (its output is above). This is a fault in the" \
			"buildpack, not in your app: report the output above to the heroku-clock" \
			"buildpack's maintainers, and pin an earlier version of the buildpack meanwhile."
		exit 1
	fi
}

# Builds the binaries from SOURCE_DIR (build::run_cargo), then puts them into BIN_DIR
# with STAMP. The stamp is written last, so a build that stops halfway is never mistaken
# for a finished one.
build::compile() {
	local source_dir="$1" cache_dir="$2" bin_dir="$3" stamp="$4"
	build::run_cargo "$source_dir" "$cache_dir"
	rm -f -- "$bin_dir/stamp"
	build::place "$CARGO_TARGET_DIR/release/clockctl" "$bin_dir"
	echo "$stamp" >"$bin_dir/stamp"
}

# Puts the built CLOCKCTL into BIN_DIR as `clockctl`, with `clock` a relative symbolic
# link to it (so it still resolves wherever BIN_DIR is copied or mounted).
build::place() {
	local clockctl="$1" bin_dir="$2"
	mkdir -p "$bin_dir"
	rm -f -- "$bin_dir/clock" "$bin_dir/clockctl"
	cp -- "$clockctl" "$bin_dir/clockctl"
	ln -s clockctl "$bin_dir/clock"
}
