# Shared by tools/jack-in-root.sh, tools/pipewire-in-root.sh and (its checks only)
# tools/quickemu-in-root.sh; sourced from the script's real directory, so a symlink to a script
# (quickemu on PATH) finds it. Checks the caller's directory and privileges, then execs a program
# chrooted in a cached Debian root in a new mount namespace. The root itself is never modified: a
# tmpfs is laid over its /tmp inside the namespace, the caller's directory is bound at the same path
# inside it, the host's /dev and a new /proc are mounted, and the environment is emptied down to
# what the caller passes.
#
#   in_root_check_dir SCRIPT VARIABLE DIR     exit 2 unless DIR is an absolute path under /tmp
#   in_root_require   SCRIPT ROOT PROGRAM HOW exit 3 unless ROOT/usr/bin/PROGRAM exists (HOW says
#                                             how to build it) and the caller is root
#   in_root_exec NAME ROOT DIR SHM [VAR=VALUE...] PROGRAM [ARG...]
#       execs PROGRAM in ROOT with HOME=DIR, PATH=/usr/bin:/bin and the VAR=VALUE pairs only;
#       SHM=1 also mounts DIR/shm over /dev/shm (JACK2 keeps its sockets and shared memory there).
#       The PID the caller started becomes the program's.

in_root_check_dir() {
  case "$3" in
    /tmp/*) ;;
    *) echo "$1: $2 must be an absolute directory under /tmp (it is mounted at the same path in the root): $3" >&2
       exit 2 ;;
  esac
}

in_root_require() {
  if [ ! -x "$2/usr/bin/$3" ]; then
    echo "$1: $2 has no usr/bin/$3; build it with $4" >&2
    exit 3
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1: needs root (mount namespace and chroot)" >&2
    exit 3
  fi
}

in_root_exec() {
  IN_ROOT_NAME=$1 IN_ROOT=$2 IN_ROOT_DIR=$3 IN_ROOT_SHM=$4
  shift 4
  export IN_ROOT IN_ROOT_DIR IN_ROOT_SHM
  # shellcheck disable=SC2016
  exec unshare --mount --propagation private -- sh -euc '
    r=$IN_ROOT
    d=$IN_ROOT_DIR
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    mkdir -p "$r$d"
    mount --bind "$d" "$r$d"
    mount --rbind /dev "$r/dev"
    if [ "$IN_ROOT_SHM" = 1 ]; then
      mount --bind "$d/shm" "$r/dev/shm"
    fi
    mount -t proc proc "$r/proc"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/bin:/bin HOME="$d" "$@"
  ' "$IN_ROOT_NAME" "$@"
}
