# bash completion for rvisorctl: verbs, each verb's options, policy names, sandbox ids and
# names, directories for --image. Installed as /usr/share/bash-completion/completions/rvisorctl.
# Needs nothing from bash-completion's own helpers. The verbs and options are rvisorctl's
# --help texts' (tests/host/completion.bats keeps them in step).

# rvisord.conf, whose policy_dir names the policies (tests point it elsewhere).
_rvisorctl_config=${_rvisorctl_config:-/etc/rvisor/rvisord.conf}

# The policy names: NAME.conf in rvisord.conf's policy_dir, as rvisord lists them; where that
# directory cannot be read, 'rvisorctl policy list' if rvisord answers within a second.
_rvisorctl_policies() {
	local dir=/etc/rvisor/policies line f n names=()
	local re='^[[:space:]]*policy_dir[[:space:]]*=[[:space:]]*([^[:space:];#]+)'

	if [[ -r $_rvisorctl_config ]]; then
		while IFS= read -r line; do
			[[ $line =~ $re ]] && dir=${BASH_REMATCH[1]}
		done <"$_rvisorctl_config"
	fi
	if [[ -r $dir && -x $dir ]]; then
		for f in "$dir"/*.conf; do
			[[ -f $f ]] || continue
			n=${f##*/}
			n=${n%.conf}
			[[ $n =~ ^[A-Za-z0-9_-]{1,64}$ ]] && names+=("$n")
		done
		if ((${#names[@]})); then printf '%s\n' "${names[@]}"; fi
	else
		timeout 1 "$1" policy list 2>/dev/null
	fi
}

# The ids and names of the caller's running sandboxes (with -a, exited detached ones too), if
# rvisord answers within a second.
_rvisorctl_sandboxes() {
	timeout 1 "$1" ps ${2:+"$2"} 2>/dev/null | while read -r id name _; do
		[[ $id =~ ^[0-9]+$ ]] || continue
		printf '%s\n' "$id"
		# "-": no name (an rvisord older than names)
		[[ $name == - ]] || printf '%s\n' "$name"
	done
}

_rvisorctl() {
	local cur prev i w verb='' sub='' nargs=0 opts ctl=${COMP_WORDS[0]} prefix=''
	local -a words=("${COMP_WORDS[@]}")
	local cword=$COMP_CWORD

	COMPREPLY=()
	cur=${words[cword]}
	prev=${words[cword - 1]}
	# --opt=value: bash splits it at '=' (COMP_WORDBREAKS), unless '=' was taken out of those.
	if [[ $cur == = ]]; then
		cur=''
	elif [[ $prev == = ]] && ((cword >= 2)); then
		prev=${words[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		prefix=$prev=
		cur=${cur#*=}
	fi
	_rvisorctl_complete
	if [[ -n $prefix ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=$prefix${COMPREPLY[i]}
		done
	fi
	return 0
}

# _rvisorctl's work, with its locals: fills COMPREPLY for cur.
_rvisorctl_complete() {
	type -P "$ctl" >/dev/null 2>&1 || ctl=rvisorctl

	# The verb, its subcommand (policy) and how many arguments come before the cursor.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		# --opt=value, split by bash: all three words are one option.
		if [[ ${words[i + 1]} == = ]]; then
			((i += 2))
			continue
		fi
		if [[ -z $verb ]]; then
			[[ $w == -* ]] || verb=$w
		elif [[ $verb == run ]]; then
			case $w in
			--image | --policy | --memory | --cpus | --cpuset-cpus | --name | -e | --env | \
				-w | --workdir | -u | --user | --env-file | --hostname | --pids-limit | \
				-v | --volume | --mount | --tmpfs | --network) ((i++)) ;;
			--) nargs=1 ;;
			-*) ;;
			*) nargs=1 ;;
			esac
			# After '--' or the command, everything is the command's.
			((nargs)) && break
		elif [[ $verb == exec ]]; then
			# The sandbox ends the options; the word after it is the command.
			if ((nargs)); then
				nargs=2
				break
			fi
			case $w in
			-e | --env | --env-file | -w | --workdir | -u | --user) ((i++)) ;;
			-*) ;;
			*) nargs=1 ;;
			esac
		elif [[ $verb == policy && -z $sub && $w != -* ]]; then
			sub=$w
		elif [[ ($verb == stop && ($w == -t || $w == --timeout || $w == --time)) ||
			($verb == attach && $w == --sig-proxy) ]]; then
			((i++))
		elif [[ $w != -* ]]; then
			((nargs++))
		fi
	done

	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '-h --help --version' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W 'run exec ps stats kill logs attach wait stop rm inspect policy
				status version' -- "$cur")
		fi
		return 0
	fi

	case $verb in
	run)
		if ((nargs)); then
			# The command and its arguments: paths inside the image, unknown here.
			compopt -o bashdefault -o default 2>/dev/null
			return 0
		fi
		case $prev in
		--image)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			return 0
			;;
		--policy)
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_policies "$ctl")" -- "$cur")
			return 0
			;;
		--env-file | -v | --volume)
			# -v: the host path before the first ':' (the rest is the user's to type).
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
			;;
		--network)
			mapfile -t COMPREPLY < <(compgen -W 'none host' -- "$cur")
			return 0
			;;
		--mount)
			mapfile -t COMPREPLY < <(compgen -W 'type=bind, type=tmpfs,' -- "$cur")
			compopt -o nospace 2>/dev/null
			return 0
			;;
		-e | --env)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -e -- "$cur")
			return 0
			;;
		--memory | --pids-limit | --hostname | --cpus | --cpuset-cpus | --name | -w | --workdir | -u | --user | \
			--tmpfs)
			return 0
			;;
		esac
		opts='-h --help --image --policy --memory --cpus --cpuset-cpus --name -e --env
			--env-file --rm --read-only --hostname --pids-limit -w --workdir -u --user -i --interactive -t --tty -d --detach --userns --json
			-v --volume --mount --tmpfs --network --init'
		;;
	exec)
		if ((nargs)); then
			# The command and its arguments: paths inside the sandbox, unknown here.
			compopt -o bashdefault -o default 2>/dev/null
			return 0
		fi
		case $prev in
		--env-file)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
			;;
		-e | --env)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -e -- "$cur")
			return 0
			;;
		-w | --workdir | -u | --user)
			return 0
			;;
		esac
		opts='-h --help -e --env --env-file -w --workdir -u --user -i --interactive -t --tty'
		if [[ $cur != -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_sandboxes "$ctl")" -- "$cur")
			return 0
		fi
		;;
	ps)
		opts='-h --help -a --all --json'
		;;
	status | version)
		opts='-h --help --json'
		;;
	logs | attach)
		if [[ $verb == logs ]]; then
			opts='-h --help -f --follow'
		else
			opts='-h --help --no-stdin --sig-proxy'
			if [[ $prev == --sig-proxy ]]; then
				mapfile -t COMPREPLY < <(compgen -W 'true false' -- "$cur")
				return 0
			fi
		fi
		if [[ $cur != -* ]] && ((nargs == 0)); then
			# attach: the running ones; logs: exited ones too.
			local all=
			[[ $verb == logs ]] && all=-a
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_sandboxes "$ctl" $all)" -- "$cur")
			return 0
		fi
		;;
	wait | stop | rm | inspect)
		case $verb in
		wait | inspect) opts='-h --help' ;;
		stop) opts='-h --help -t --timeout --time' ;;
		rm) opts='-h --help -f --force' ;;
		esac
		if [[ $verb == stop ]] && [[ $prev == -t || $prev == --timeout || $prev == --time ]]; then
			return 0
		fi
		if [[ $cur != -* ]]; then
			local all=-a
			[[ $verb == stop ]] && all=
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_sandboxes "$ctl" $all)" -- "$cur")
			return 0
		fi
		;;
	stats)
		opts='-h --help --json'
		if [[ $cur != -* ]] && ((nargs == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_sandboxes "$ctl")" -- "$cur")
			return 0
		fi
		;;
	kill)
		opts='-h --help'
		if [[ $cur != -* ]] && ((nargs == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_sandboxes "$ctl")" -- "$cur")
			return 0
		elif [[ $cur != -* ]] && ((nargs == 1)); then
			# The names rvisorctl knows (cli/cli-util.c), as typed: TERM or SIGTERM.
			local -a sigs=(HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM
				STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS)
			[[ $cur == SIG* ]] && sigs=("${sigs[@]/#/SIG}")
			mapfile -t COMPREPLY < <(compgen -W "${sigs[*]}" -- "$cur")
			return 0
		fi
		;;
	policy)
		opts='-h --help'
		case $sub in
		'')
			if [[ $cur != -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W 'list show check' -- "$cur")
				return 0
			fi
			;;
		list)
			opts='-h --help --json'
			;;
		show)
			opts='-h --help --json'
			if [[ $cur != -* ]] && ((nargs == 0)); then
				mapfile -t COMPREPLY < <(compgen -W "$(_rvisorctl_policies "$ctl")" -- "$cur")
				return 0
			fi
			;;
		check)
			if [[ $cur != -* ]]; then
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				return 0
			fi
			;;
		esac
		;;
	*)
		return 0
		;;
	esac
	[[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	return 0
}

complete -F _rvisorctl rvisorctl
