# bash completion for tsbpf: flags and their values, probe types, tracepoint categories and events.
# The candidates come from `tsbpf --complete PREV CUR` (runtime/cli-complete.ts), so they follow the
# flag table and this kernel's probes. Installed by scripts/dev/setup.sh.
_tsbpf() {
  local line=${COMP_LINE:0:COMP_POINT}
  local cur=${line##*[[:space:]]}
  local before=${line%"$cur"}
  before=${before%"${before##*[![:space:]]}"}
  local prev=${before##*[[:space:]]}
  local -a words
  mapfile -t words < <("${COMP_WORDS[0]}" --complete "$prev" "$cur" 2>/dev/null)
  COMPREPLY=()
  case ${words[0]-} in
    @files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    @dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    @commands) mapfile -t COMPREPLY < <(compgen -c -- "$cur"); return ;;
  esac
  COMPREPLY=("${words[@]}")
  # bash splits words at ':' (COMP_WORDBREAKS): a candidate replaces only what follows the last colon.
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    local typed=${cur%"${cur##*:}"}
    COMPREPLY=("${COMPREPLY[@]#"$typed"}")
  fi
  # A probe type or a tracepoint category ends in ':': typing goes on after it.
  if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]]; then compopt -o nospace 2>/dev/null; fi
  return 0
}
complete -F _tsbpf tsbpf
