# Argument checks shared by benchmarks/compare.sh and benchmarks/ab.sh (sourced, not run). Each
# prints "TOOL: what is wrong" and exits 2.

heed_workloads=(copy-tiny sort-small long-lm)  # `heed bench --workload`, in the reference's order

# check_counts TOOL N...: each N is a whole number.
check_counts() {
  local tool=$1 n
  shift
  for n in "$@"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "$tool: '$n' is not a count" >&2; exit 2; }
  done
}

# check_at_least_one TOOL WHAT N...: each N (already a count) is at least 1; WHAT names them.
check_at_least_one() {
  local tool=$1 what=$2 n
  shift 2
  for n in "$@"; do
    [ "$n" -ge 1 ] || { echo "$tool: $what must be at least 1" >&2; exit 2; }
  done
}

# check_workloads TOOL W...: each W is one of heed_workloads.
check_workloads() {
  local tool=$1 w known
  shift
  known=$(printf '%s, ' "${heed_workloads[@]}")
  for w in "$@"; do
    case " ${heed_workloads[*]} " in
      *" $w "*) ;;
      *) echo "$tool: unknown workload '$w' (${known%, })" >&2; exit 2 ;;
    esac
  done
}
