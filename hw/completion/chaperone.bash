# SPDX-License-Identifier: AGPL-3.0-or-later
# bash completion for chaperone(1). The commands, subcommands and options come from
# `chaperone ... --help` itself, so the completion follows the version installed.
_chaperone() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} words c
	case $prev in
	--db | --out | --key-file | --record | --play | --audio | --wav)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac
	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$(chaperone --help 2>&1 | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
	elif [ "$COMP_CWORD" -eq 2 ] && [[ $cur != -* ]]; then
		c=${COMP_WORDS[1]}
		# "Usage: chaperone person list ..." lines, and a "Subcommands:" list.
		words=$(chaperone "$c" --help 2>&1 | sed -n \
			-e "s/^\(Usage:\)\{0,1\} *chaperone $c \([a-z][a-z|-]*\).*/\2/p" \
			-e '/^Subcommands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' | tr '|' '\n' | sort -u)
	else
		words=$(chaperone "${COMP_WORDS[1]}" "${COMP_WORDS[2]}" --help 2>&1 |
			grep -o -- '--[a-z][a-z-]*' | sort -u)
	fi
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _chaperone chaperone
