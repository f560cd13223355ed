# shellcheck shell=bash
# The Rust toolchain that builds clock and clockctl: `cargo` from PATH when the build has
# one; otherwise the version pinned in buildpack/toolchain.env, installed by rustup's
# minimal profile into the build cache and reused by later builds.
#
# The install never leaves a half-made toolchain in the cache: rustup-init is downloaded to
# a temp directory, its SHA-256 checked against the pin, the toolchain installed into a
# staging directory, and only a complete one is moved into place.
#
# Two variables exist for the buildpack's own tests and are not meant for apps:
# HEROKU_CLOCK_FORCE_RUSTUP=1 ignores a cargo on PATH; HEROKU_CLOCK_RUSTUP_URL and
# HEROKU_CLOCK_RUSTUP_SHA256 replace the pinned download and its checksum.

# Points RUSTUP_INIT_URL and RUSTUP_INIT_SHA256 at the pinned rustup-init for RUST_ARCH
# (x86_64 or aarch64, as toolchain::rust_arch prints it). The classic build keeps the
# x86_64 pin that toolchain.env sets; the Cloud Native Buildpack calls this for its target.
toolchain::select_host() {
	local rust_arch="$1"
	RUSTUP_INIT_URL="https://static.rust-lang.org/rustup/archive/${RUSTUP_VERSION}/${rust_arch}-unknown-linux-gnu/rustup-init"
	case "$rust_arch" in
	x86_64) RUSTUP_INIT_SHA256="$RUSTUP_INIT_SHA256_X86_64" ;;
	aarch64) RUSTUP_INIT_SHA256="$RUSTUP_INIT_SHA256_AARCH64" ;;
	*) return 1 ;;
	esac
}

# Prints Rust's name for a CNB target architecture (CNB_TARGET_ARCH, Go's names: amd64,
# arm64). Fails for any architecture the buildpack has no pinned rustup-init for.
toolchain::rust_arch() {
	case "$1" in
	amd64) echo "x86_64" ;;
	arm64) echo "aarch64" ;;
	*) return 1 ;;
	esac
}

# Makes `cargo` runnable, installing the pinned toolchain under TOOLCHAINS_DIR when needed.
# Expects RUST_VERSION, RUSTUP_VERSION, RUSTUP_INIT_URL and RUSTUP_INIT_SHA256 (the pin).
toolchain::ensure() {
	local toolchains_dir="$1"
	if [[ "${HEROKU_CLOCK_FORCE_RUSTUP:-}" != "1" ]] && command -v cargo >/dev/null 2>&1; then
		output::step "Using the Rust toolchain already on PATH"
		output::info "$(cargo --version)"
		return 0
	fi

	local rust_dir="$toolchains_dir/rust-$RUST_VERSION"
	if [[ -f "$rust_dir/installed" ]]; then
		output::step "Using Rust $RUST_VERSION from the build cache"
	else
		output::step "Installing Rust $RUST_VERSION (rustup $RUSTUP_VERSION, minimal profile)"
		toolchain::install "$rust_dir" \
			"${HEROKU_CLOCK_RUSTUP_URL:-$RUSTUP_INIT_URL}" \
			"${HEROKU_CLOCK_RUSTUP_SHA256:-$RUSTUP_INIT_SHA256}"
	fi
	export RUSTUP_HOME="$rust_dir/rustup"
	export PATH="$rust_dir/cargo/bin:$PATH"
	output::info "$(cargo --version)"
}

# Installs the toolchain into RUST_DIR, all or nothing. Runs in a subshell so that its
# cleanup trap removes the download and the staging directory however it ends.
toolchain::install() (
	local rust_dir="$1" url="$2" expected_sha256="$3"
	local staging_dir="$rust_dir.staging" download_dir
	download_dir="$(mktemp -d)"
	trap 'rm -rf -- "$download_dir" "$staging_dir"' EXIT
	rm -rf -- "$staging_dir"

	toolchain::download "$url" "$download_dir/rustup-init"
	toolchain::verify "$download_dir/rustup-init" "$expected_sha256" "$url"
	chmod +x "$download_dir/rustup-init"

	mkdir -p "$staging_dir"
	if ! RUSTUP_HOME="$staging_dir/rustup" CARGO_HOME="$staging_dir/cargo" RUSTUP_INIT_SKIP_PATH_CHECK=yes \
		"$download_dir/rustup-init" -y --quiet --no-modify-path --profile minimal \
		--default-toolchain "$RUST_VERSION" 2>&1 | output::indent; then
		output::error "Error: could not install Rust $RUST_VERSION." \
			"rustup-init stopped with an error (its output is above); nothing was kept in the" \
			"build cache. Retry the build; if it fails again, report the output above to the" \
			"heroku-clock buildpack's maintainers."
		exit 1
	fi
	touch "$staging_dir/installed"
	rm -rf -- "$rust_dir"
	mv -- "$staging_dir" "$rust_dir"
)

# Downloads URL to FILE, or stops the build saying what failed.
toolchain::download() {
	local url="$1" file="$2" curl_error
	if ! curl_error="$(curl --fail --silent --show-error --location --retry 3 \
		--connect-timeout 15 --max-time 300 --output "$file" -- "$url" 2>&1)"; then
		output::error "Error: could not download rustup-init, the Rust installer." \
			"From: $url" \
			"curl said: $curl_error" \
			"" \
			"Nothing was installed. This is usually a passing network problem: retry the" \
			"build. To skip the download, put a Rust buildpack before this one so that" \
			"cargo is on PATH."
		exit 1
	fi
}

# Stops the build unless FILE's SHA-256 is EXPECTED.
toolchain::verify() {
	local file="$1" expected="$2" url="$3" actual
	actual="$(sha256sum -- "$file" | cut -d ' ' -f 1)"
	if [[ "$actual" != "$expected" ]]; then
		output::error "Error: rustup-init failed its checksum; it was not run." \
			"From: $url" \
			"Expected SHA-256: $expected" \
			"Downloaded file:  $actual" \
			"" \
			"The download is corrupt or not the file the buildpack pins. Retry the build; if" \
			"it fails again, report it to the heroku-clock buildpack's maintainers."
		exit 1
	fi
	output::info "rustup-init $RUSTUP_VERSION checksum verified (SHA-256 $actual)"
}
