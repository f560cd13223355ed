# shellcheck shell=bash
# Checking the app's clock.yml with the freshly built `clockctl validate` before it ships:
# an invalid file fails the build with its `clock.yml:LINE:COL` errors; a valid one shows
# each job and its next run.

# Validates CONFIG_PATH (relative to BUILD_DIR) with CLOCKCTL. Stops the build if invalid.
# The path goes after `--`, so a name such as `--help` is a file, never an option.
validate::clock_yml() {
	local clockctl="$1" build_dir="$2" config_path="$3"
	local config_dir config_file output
	config_dir="$(dirname -- "$build_dir/$config_path")"
	config_file="$(basename -- "$config_path")"

	if [[ ! -f "$config_dir/$config_file" ]]; then
		output::error "Error: the app has no $config_file where the build looked for it." \
			"The clock process needs a clock.yml at the app's root (or at the path in the" \
			"CLOCK_CONFIG config var). Run \`clockctl init\` to write a starter, or copy" \
			"templates/clock.yml from the buildpack, then commit it and push again."
		exit 1
	fi

	# Run next to the file, so that every diagnostic names it as `clock.yml:LINE:COL`.
	if output="$(cd "$config_dir" && "$clockctl" validate -- "$config_file" 2>&1)"; then
		echo "$output" | output::indent
		return 0
	fi
	echo "$output" | output::indent >&2
	output::error "Error: $config_file is not valid (the errors are above)." \
		"Fix each line and column shown, check the file locally with" \
		"\`clockctl validate $config_file\`, then commit and push again."
	exit 1
}
