# shellcheck shell=bash
# Where the app's clock.yml is: `clock.yml` at the app's root, or the path in the
# CLOCK_CONFIG config var. The build reads that one variable from ENV_DIR and nothing else,
# and never prints its value.

# Prints the value of config var NAME from ENV_DIR, or nothing when it is not set.
config::read_env_var() {
	local env_dir="$1" name="$2"
	if [[ -n "$env_dir" && -f "$env_dir/$name" ]]; then
		cat -- "$env_dir/$name"
	fi
}

# Prints the clock.yml path relative to the app's root, given CLOCK_CONFIG's value (which
# may be empty). A value under APP_ROOT/ (where the app runs: /app on Cedar, the default,
# and /workspace on Fir) names the same file in the build directory. Fails for any other
# absolute path: the build cannot see it.
config::relative_path() {
	local value="$1" app_root="${2:-/app}"
	case "$value" in
	"") echo "clock.yml" ;;
	"$app_root"/*) echo "${value#"$app_root"/}" ;;
	/*) return 1 ;;
	*) echo "$value" ;;
	esac
}
