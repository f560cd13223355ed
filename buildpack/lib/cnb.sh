# shellcheck shell=bash
# What the Cloud Native Buildpack (bin/build) hands the lifecycle, Buildpack API 0.10:
# `<layer>.toml` files with their [types] and [metadata], launch.toml, and reading back
# the metadata the lifecycle restores from the previous build.
#
# The lifecycle restores a cached layer's `<layer>.toml` with its [types] removed and its
# [metadata] re-encoded by its own TOML writer (which may indent keys), so the reader
# accepts any whitespace around `key = "value"`. Every value written here is a plain
# string: a version, an architecture or a hex digest.

# Prints the string value of KEY in table TABLE of the TOML file FILE, or nothing when the
# file, the table or the key is missing. Only `key = "value"` lines are understood, which
# is all this buildpack ever writes.
cnb::toml_value() {
	local file="$1" table="$2" key="$3"
	[[ -f "$file" ]] || return 0
	awk -v table="$table" -v key="$key" '
		/^[ \t]*\[/ {
			header = $0
			gsub(/[ \t]/, "", header)
			in_table = (header == "[" table "]")
			next
		}
		in_table {
			line = $0
			sub(/^[ \t]+/, "", line)
			if (index(line, key) != 1) next
			rest = substr(line, length(key) + 1)
			if (rest !~ /^[ \t]*=[ \t]*"/) next
			sub(/^[ \t]*=[ \t]*"/, "", rest)
			sub(/"[ \t]*$/, "", rest)
			print rest
			exit
		}
	' "$file"
}

# Succeeds when the [metadata] of the layer file FILE holds every KEY=VALUE given.
cnb::metadata_matches() {
	local file="$1" pair
	shift
	for pair in "$@"; do
		[[ "$(cnb::toml_value "$file" metadata "${pair%%=*}")" == "${pair#*=}" ]] || return 1
	done
}

# Writes the layer file FILE (`<layer>.toml`): [types] with LAUNCH, BUILD and CACHE
# (true or false), then [metadata] with each KEY=VALUE given. Rewritten on every build:
# the lifecycle drops [types] when it restores a layer, and a layer without them is
# discarded.
cnb::write_layer_toml() {
	local file="$1" launch="$2" build="$3" cache="$4" pair
	shift 4
	{
		echo "[types]"
		echo "launch = $launch"
		echo "build = $build"
		echo "cache = $cache"
		if (($#)); then
			echo
			echo "[metadata]"
			for pair in "$@"; do
				echo "${pair%%=*} = \"${pair#*=}\""
			done
		fi
	} >"$file"
}

# Writes LAYERS_DIR/launch.toml declaring the `clock` process: `clock` from PATH (a launch
# layer's bin/), run from the app's directory, and never the default process (that stays
# web or whatever the app's Procfile says). A process of the same type from a later
# buildpack, such as a `clock:` line through heroku/procfile, takes its place.
cnb::write_launch_toml() {
	local layers_dir="$1"
	cat >"$layers_dir/launch.toml" <<-'TOML'
		[[processes]]
		type = "clock"
		command = ["clock"]
		args = []
		default = false
	TOML
}
