# shellcheck shell=bash
# The Procfile's `clock:` entry. The rules (create, append keeping every byte, or leave an
# app's own entry alone) live in Rust, in src/procfile.rs, behind `clockctl procfile`.

# Makes sure BUILD_DIR's Procfile declares the clock process, using CLOCKCTL.
procfile::ensure_clock_entry() {
	local clockctl="$1" build_dir="$2"
	if ! "$clockctl" procfile --dir="$build_dir" 2>&1 | output::indent; then
		output::error "Error: could not give the Procfile its clock entry (see above)." \
			"Add the line \`clock: clock\` to the Procfile yourself, commit it and push again."
		exit 1
	fi
}
