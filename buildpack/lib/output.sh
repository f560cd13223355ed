# shellcheck shell=bash
# Build output in Heroku's style: `-----> ` step headers, details indented seven spaces,
# and warnings and errors on stderr as ` !     ` blocks that say what happened and what to
# do about it.

# Prints a step header.
output::step() {
	echo "-----> $*"
}

# Prints one detail line under the current step.
output::info() {
	echo "       $*"
}

# Indents every line read from stdin as a detail line (for a command's own output);
# blank lines stay empty.
output::indent() {
	sed -u '/./s/^/       /'
}

# Prints a warning block on stderr; each argument is one line.
output::warning() {
	output::_block "$@"
}

# Prints an error block on stderr; each argument is one line. The caller exits.
output::error() {
	output::_block "$@"
}

output::_block() {
	local line
	echo >&2
	for line in "$@"; do
		if [[ -n "$line" ]]; then
			echo " !     $line" >&2
		else
			echo " !" >&2
		fi
	done
	echo >&2
}
